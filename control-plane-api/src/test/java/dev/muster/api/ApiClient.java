package dev.muster.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.muster.config.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A plain HTTP client for tests: real requests to a node on a loopback port. */
public final class ApiClient {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
  private final String base;

  public ApiClient(InetSocketAddress address) {
    this.base = "http://" + address.getHostString() + ":" + address.getPort();
  }

  /** A status code and the body read as JSON (NullNode when empty). */
  public record Response(int status, JsonNode body) {}

  public Response get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  public CompletableFuture<Response> getAsync(String path) {
    return http.sendAsync(
            HttpRequest.newBuilder(uri(path)).timeout(TIMEOUT).GET().build(),
            HttpResponse.BodyHandlers.ofString())
        .thenApply(ApiClient::parse);
  }

  public Response post(String path, String json) {
    return send(
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  public Response send(HttpRequest.Builder request) {
    try {
      return parse(
          http.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public URI uri(String path) {
    return URI.create(base + path);
  }

  private static Response parse(HttpResponse<String> response) {
    try {
      JsonNode body =
          response.body().isEmpty() ? NullNode.instance : Json.mapper().readTree(response.body());
      return new Response(response.statusCode(), body);
    } catch (IOException e) {
      throw new AssertionError("not JSON (" + response.statusCode() + "): " + response.body(), e);
    }
  }
}
