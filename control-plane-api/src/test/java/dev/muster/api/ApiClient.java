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
  private final String token;

  /** A client that calls as an operator ({@link TestAuth#operator()}). */
  public ApiClient(InetSocketAddress address) {
    this(address, TestAuth.operator());
  }

  /** A client that sends {@code token} with every request that names no Authorization itself. */
  public ApiClient(InetSocketAddress address, String token) {
    this("http://" + address.getHostString() + ":" + address.getPort(), token);
  }

  private ApiClient(String base, String token) {
    this.base = base;
    this.token = token;
  }

  /** The same node, called with {@code token}. */
  public ApiClient as(String token) {
    return new ApiClient(base, token);
  }

  /** A status code and the body read as JSON (NullNode when empty). */
  public record Response(int status, JsonNode body) {}

  public Response get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  public CompletableFuture<Response> getAsync(String path) {
    return http.sendAsync(
            authorized(HttpRequest.newBuilder(uri(path)).timeout(TIMEOUT).GET().build()),
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
          http.send(
              authorized(request.timeout(TIMEOUT).build()), HttpResponse.BodyHandlers.ofString()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** {@code request} with this client's token, unless it names an Authorization of its own. */
  private HttpRequest authorized(HttpRequest request) {
    if (request.headers().firstValue("Authorization").isPresent()) {
      return request;
    }
    return HttpRequest.newBuilder(request, (name, value) -> true)
        .header("Authorization", TestAuth.bearer(token))
        .build();
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
