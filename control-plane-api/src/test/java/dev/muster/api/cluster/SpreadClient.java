package dev.muster.api.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.muster.api.ApiClient.Response;
import dev.muster.api.TestAuth;
import dev.muster.config.json.Json;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client of the API the way the contract asks one to be: requests go to any node (round robin),
 * and a request that fails (connection refused, timeout, 5xx) is sent again, unchanged (same ids,
 * same Idempotency-Key), to the next node until {@code retryFor} ends.
 */
final class SpreadClient {
  private static final Duration RETRY_BACKOFF = Duration.ofMillis(50);
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final List<String> bases = new CopyOnWriteArrayList<>();
  private final AtomicInteger next = new AtomicInteger();
  private final Duration requestTimeout;
  private final Duration retryFor;
  private final AtomicInteger retries = new AtomicInteger();

  SpreadClient(List<InetSocketAddress> nodes, Duration requestTimeout, Duration retryFor) {
    nodes.forEach(this::add);
    this.requestTimeout = requestTimeout;
    this.retryFor = retryFor;
  }

  void add(InetSocketAddress node) {
    bases.add("http://" + node.getHostString() + ":" + node.getPort());
  }

  void replaceAll(List<InetSocketAddress> nodes) {
    bases.clear();
    nodes.forEach(this::add);
  }

  /** How many requests had to be sent again to another node. */
  int retries() {
    return retries.get();
  }

  Response get(String path) {
    return send(path, builder -> builder.GET(), requestTimeout);
  }

  Response get(String path, Duration timeout) {
    return send(path, builder -> builder.GET(), timeout);
  }

  Response post(String path, String json) {
    return post(path, json, null);
  }

  Response post(String path, String json, String idempotencyKey) {
    return send(
        path,
        builder -> {
          builder.header("Content-Type", "application/json");
          if (idempotencyKey != null) {
            builder.header("Idempotency-Key", idempotencyKey);
          }
          return builder.POST(HttpRequest.BodyPublishers.ofString(json));
        },
        requestTimeout);
  }

  Response put(String path, String json) {
    return send(
        path,
        builder ->
            builder
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json)),
        requestTimeout);
  }

  interface Method {
    HttpRequest.Builder apply(HttpRequest.Builder builder);
  }

  private Response send(String path, Method method, Duration timeout) {
    long deadline = System.nanoTime() + retryFor.toNanos();
    Throwable lastFailure = null;
    Response last = null;
    while (true) {
      String base = bases.get(Math.floorMod(next.getAndIncrement(), bases.size()));
      try {
        HttpResponse<String> response =
            http.send(
                method
                    .apply(
                        HttpRequest.newBuilder(URI.create(base + path))
                            .header("Authorization", TestAuth.bearer(TestAuth.operator()))
                            .timeout(timeout))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        last = parse(response);
        if (last.status() < 500) {
          return last;
        }
      } catch (IOException e) {
        lastFailure = e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      if (System.nanoTime() > deadline) {
        if (last != null) {
          return last;
        }
        throw new IllegalStateException(path + " failed on every node", lastFailure);
      }
      retries.incrementAndGet();
      pause();
    }
  }

  /** A short back-off between attempts, so that a dead node is not hammered in a tight loop. */
  private static void pause() {
    try {
      Thread.sleep(RETRY_BACKOFF.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static Response parse(HttpResponse<String> response) {
    try {
      JsonNode body =
          response.body().isEmpty() ? NullNode.instance : Json.mapper().readTree(response.body());
      return new Response(response.statusCode(), body);
    } catch (IOException e) {
      return new Response(response.statusCode(), NullNode.instance);
    }
  }
}
