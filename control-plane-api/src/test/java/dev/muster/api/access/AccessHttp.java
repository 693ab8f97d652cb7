package dev.muster.api.access;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.muster.api.TestAuth;
import dev.muster.config.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * Real HTTP to a node for the access tests, keeping what {@link dev.muster.api.ApiClient} drops:
 * the headers (WWW-Authenticate, Allow), the raw body, and who sent what, so that every assertion
 * message can say what was sent and what was answered. An event stream that answers 200 is not read
 * (it would never end): its body is left empty.
 */
final class AccessHttp {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** Who calls: a name for messages and the Authorization header it sends, if any. */
  record Credential(String name, Optional<String> authorization) {
    static Credential bearer(String name, String token) {
      return new Credential(name, Optional.of(TestAuth.bearer(token)));
    }

    static Credential raw(String name, String authorization) {
      return new Credential(name, Optional.of(authorization));
    }

    static Credential none() {
      return new Credential("no Authorization header", Optional.empty());
    }
  }

  /** What was sent, and what was answered. */
  record Reply(
      String method,
      String path,
      String sentBody,
      String who,
      int status,
      HttpHeaders headers,
      String raw,
      JsonNode body) {

    String code() {
      return body.path("error").path("code").asText("");
    }

    String message() {
      return body.path("error").path("message").asText("");
    }

    Optional<String> header(String name) {
      return headers.firstValue(name);
    }

    @Override
    public String toString() {
      return method
          + " "
          + path
          + (sentBody == null ? "" : " " + sentBody)
          + " as "
          + who
          + " answered "
          + status
          + " "
          + (raw.length() > 1500 ? raw.substring(0, 1500) + "..." : raw)
          + header("WWW-Authenticate").map(h -> " [WWW-Authenticate: " + h + "]").orElse("")
          + header("Allow").map(h -> " [Allow: " + h + "]").orElse("");
    }
  }

  private final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
  private final String base;

  AccessHttp(InetSocketAddress address) {
    this.base = "http://" + address.getHostString() + ":" + address.getPort();
  }

  Reply get(Credential who, String path) {
    return send(who, "GET", path, null);
  }

  Reply post(Credential who, String path, String json) {
    return send(who, "POST", path, json);
  }

  Reply delete(Credential who, String path) {
    return send(who, "DELETE", path, null);
  }

  /** {@code method path} with {@code json} (none when null) as {@code who}, headers as given. */
  Reply send(Credential who, String method, String path, String json, String... headers) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(TIMEOUT)
            .method(
                method,
                json == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(json));
    if (json != null) {
      request.header("Content-Type", "application/json");
    }
    who.authorization().ifPresent(a -> request.header("Authorization", a));
    if (headers.length > 0) {
      request.headers(headers);
    }
    try {
      HttpResponse<InputStream> response =
          client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      String raw;
      try (InputStream in = response.body()) {
        boolean stream =
            response
                .headers()
                .firstValue("Content-Type")
                .filter(t -> t.startsWith("text/event-stream"))
                .isPresent();
        raw =
            stream
                ? "<an event stream, not read>"
                : new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      return new Reply(
          method,
          path,
          json,
          who.name(),
          response.statusCode(),
          response.headers(),
          raw,
          json(raw));
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + path + " as " + who.name() + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + method + " " + path, e);
    }
  }

  private static JsonNode json(String raw) {
    if (raw.isEmpty() || raw.startsWith("<")) {
      return MissingNode.getInstance();
    }
    try {
      return Json.mapper().readTree(raw);
    } catch (IOException e) {
      return MissingNode.getInstance();
    }
  }
}
