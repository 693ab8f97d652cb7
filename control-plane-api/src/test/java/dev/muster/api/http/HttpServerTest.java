package dev.muster.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Directives;
import org.junit.jupiter.api.Test;

class HttpServerTest {

  @Test
  void coordinatedShutdownUnbindsTheServer() {
    ActorSystem<Void> system =
        ActorSystem.create(Behaviors.empty(), "http-server", TestHttp.config(""));
    HttpSettings settings = HttpSettings.from(system.settings().config());
    ServerBinding binding =
        HttpServer.start(
                system,
                new HealthRoutes(List.of(), settings.healthCheckTimeout()).route(),
                settings)
            .toCompletableFuture()
            .join();
    TestHttp http = new TestHttp(binding);
    assertEquals(200, http.get("/health/alive").status());
    assertEquals(200, http.get("/health/ready").status(), "no checks: ready");

    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
    binding.whenTerminated().toCompletableFuture().join();
    assertThrows(AssertionError.class, () -> http.get("/health/alive"), "nothing listens any more");
  }

  /**
   * A route that answers without reading the body (an inbox ack) must still wait for the body: an
   * answer sent before the request's end makes the server close the connection, and every such call
   * then costs the client a new connection.
   */
  @Test
  void aRouteThatIgnoresTheBodyKeepsTheConnection() throws IOException {
    ActorSystem<Void> system =
        ActorSystem.create(Behaviors.empty(), "http-server-body", TestHttp.config(""));
    try {
      HttpSettings settings = HttpSettings.from(system.settings().config());
      ServerBinding binding =
          HttpServer.start(system, Directives.post(() -> Directives.complete("ok")), settings)
              .toCompletableFuture()
              .join();
      try (Socket socket = new Socket("127.0.0.1", binding.localAddress().getPort())) {
        OutputStream out = socket.getOutputStream();
        InputStream in = socket.getInputStream();
        String head =
            "POST /ack HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: 2\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        // The body is not sent yet: nothing may be answered before it arrives.
        socket.setSoTimeout(300);
        assertThrows(SocketTimeoutException.class, in::read, "answered before the body arrived");
        socket.setSoTimeout((int) settings.requestTimeout().toMillis());
        out.write("{}".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String first = readResponse(in);
        assertTrue(first.startsWith("HTTP/1.1 200"), first);
        assertFalse(
            first.toLowerCase(Locale.ROOT).contains("connection: close"),
            "the connection was closed: " + first);

        out.write((head + "{}").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String second = readResponse(in);
        assertTrue(second.startsWith("HTTP/1.1 200"), "same connection, next request: " + second);
      }
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
    }
  }

  /** One response whose body is "ok" (the route above): reads up to and including it. */
  private static String readResponse(InputStream in) throws IOException {
    ByteArrayOutputStream response = new ByteArrayOutputStream();
    while (!response.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\nok")) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      response.write(b);
    }
    return response.toString(StandardCharsets.US_ASCII);
  }
}
