package dev.muster.api.http;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.concurrent.duration.FiniteDuration;

/**
 * Binds the API. Every route is wrapped with {@link ApiErrors#handle}, and requests the server
 * cannot parse are answered by {@link JsonParsingErrorHandler}, so every error has the same body.
 * Bodies are limited to {@code muster.http.max-body-size}; requests time out after {@code
 * muster.http.request-timeout}. On coordinated shutdown the server unbinds (phase service-unbind:
 * no new connections), then gives requests in flight {@code muster.http.termination-deadline}
 * (phase service-requests-done) before closing connections; Pekko's {@code
 * ServerBinding.addToCoordinatedShutdown} registers exactly these two tasks.
 */
public final class HttpServer {
  private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

  private HttpServer() {}

  /**
   * Binds {@code route} (wrapped with {@link ApiErrors#handle}) at {@code muster.http.host:port};
   * the stage fails when the address cannot be bound (the caller decides to stop the node).
   */
  public static CompletionStage<ServerBinding> start(
      ActorSystem<?> system, Route route, HttpSettings settings) {
    return Http.get(system)
        .newServerAt(settings.host(), settings.port())
        .withSettings(serverSettings(system, settings))
        .bind(ApiErrors.handle(readBodyFirst(route, settings)))
        .whenComplete(
            (binding, failure) -> {
              if (failure != null) {
                log.error(
                    "Muster HTTP API cannot listen on {}:{}: {}",
                    settings.host(),
                    settings.port(),
                    failure.getMessage());
              } else {
                binding.addToCoordinatedShutdown(settings.terminationDeadline(), system);
                log.info(
                    "Muster HTTP API listening on http://{}:{}",
                    binding.localAddress().getHostString(),
                    binding.localAddress().getPort());
              }
            });
  }

  /**
   * Reads each request's body before routing it (bodies are small and capped by {@code
   * muster.http.max-body-size}). A route that answers without reading the body, such as an inbox
   * ack, would otherwise answer before the body has arrived, and the server then closes the
   * connection: every such call would cost its client a new connection.
   */
  private static Route readBodyFirst(Route route, HttpSettings settings) {
    return Directives.toStrictEntity(finite(settings.requestTimeout()), () -> route);
  }

  /**
   * Pekko's server settings with Muster's limits. The idle timeout is raised to outlast the request
   * timeout: a long poll is an idle connection, and must not be closed while it waits.
   */
  static ServerSettings serverSettings(ActorSystem<?> system, HttpSettings settings) {
    ServerSettings defaults = ServerSettings.create(system.classicSystem());
    FiniteDuration requestTimeout = finite(settings.requestTimeout());
    var timeouts = defaults.getTimeouts().withRequestTimeout(requestTimeout);
    FiniteDuration idleFloor = finite(settings.requestTimeout().plus(settings.askTimeout()));
    if (timeouts.idleTimeout().isFinite() && timeouts.idleTimeout().lt(idleFloor)) {
      timeouts = timeouts.withIdleTimeout(idleFloor);
    }
    return defaults
        .withTimeouts(timeouts)
        .withParsingErrorHandler(JsonParsingErrorHandler.class.getName())
        .withParserSettings(
            defaults.getParserSettings().withMaxContentLength(settings.maxBodySize()));
  }

  private static FiniteDuration finite(Duration duration) {
    return FiniteDuration.fromNanos(duration.toNanos());
  }
}
