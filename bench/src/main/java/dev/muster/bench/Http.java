package dev.muster.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The load generator's HTTP client: java.net.http over HTTP/1.1 (keep-alive connections, pooled by
 * the client) on a small fixed executor, JSON bodies through Jackson; every request carries the
 * node's operator token when its build has one (a build before tokens ignores the header).
 */
final class Http implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  /** A response: its status and its JSON body (missing when the body is empty or not JSON). */
  record Response(int status, JsonNode body) {
    boolean ok() {
      return status / 100 == 2;
    }

    String text(String field) {
      return body.path(field).asText();
    }
  }

  private final String base;
  private final ExecutorService executor;
  private final HttpClient client;
  private final Duration timeout;
  private final Optional<String> authorization;

  /** A client of {@code node}, calling with its operator's token (when its build has tokens). */
  Http(NodeProcess node, int threads, Duration timeout) {
    this(node.baseUrl(), node.operatorToken(), threads, timeout);
  }

  Http(String base, Optional<String> token, int threads, Duration timeout) {
    this.base = base;
    this.authorization = token.map(t -> "Bearer " + t);
    this.executor =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, "bench-http");
              t.setDaemon(true);
              return t;
            });
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .executor(executor)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    this.timeout = timeout;
  }

  String base() {
    return base;
  }

  CompletableFuture<Response> post(String path, Object body) {
    return send(
        request(path, timeout)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(bytes(body)))
            .build());
  }

  CompletableFuture<Response> put(String path, Object body) {
    return send(
        request(path, timeout)
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes(body)))
            .build());
  }

  CompletableFuture<Response> get(String path) {
    return get(path, timeout);
  }

  CompletableFuture<Response> get(String path, Duration requestTimeout) {
    return send(request(path, requestTimeout).GET().build());
  }

  Response await(CompletableFuture<Response> response) {
    return response.join();
  }

  private HttpRequest.Builder request(String path, Duration requestTimeout) {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(URI.create(base + path)).timeout(requestTimeout);
    authorization.ifPresent(value -> builder.header("Authorization", value));
    return builder;
  }

  private CompletableFuture<Response> send(HttpRequest request) {
    return client
        .sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
        .thenApply(r -> new Response(r.statusCode(), parse(r.body())));
  }

  private static byte[] bytes(Object body) {
    try {
      return JSON.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode parse(byte[] body) {
    if (body.length == 0) {
      return MissingNode.getInstance();
    }
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      return MissingNode.getInstance();
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
