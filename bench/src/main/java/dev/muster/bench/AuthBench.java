package dev.muster.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What checking a token costs per request: the node's CPU per request, in one run, for requests
 * that do no entity work so the token path is most of what is left. {@code alive}: {@code GET
 * /health/alive}, no token (the HTTP layer alone); {@code me}: {@code GET /api/v1/me} with one
 * token (verification cached, then route table, scope, rate limits, the reply); {@code me-verify}:
 * the same over {@code tokens} distinct tokens on a node whose verified-token cache holds one, so
 * every request verifies an ES256 signature; {@code alive again} once more after {@code me}, as
 * warm as it. The difference {@code me - alive again} is the cost of the token path on every
 * request; {@code me-verify - me} that of one signature verification.
 */
final class AuthBench {
  record Options(int requests, int warmup, int concurrency, int tokens, int rounds) {}

  private AuthBench() {}

  /** One figure: node CPU µs per request over {@code requests}, after {@code warmup} of them. */
  static Map<String, Object> run(NodeProcess node, Http http, Options o, String path, boolean fresh)
      throws Exception {
    List<Http> clients = new ArrayList<>();
    if (fresh) {
      for (int i = 0; i < o.tokens(); i++) {
        Http.Response minted =
            http.await(
                http.post("/api/v1/tokens", Map.of("kind", "operator", "subject", "bench-" + i)));
        if (minted.status() != 201) {
          throw new IllegalStateException("cannot mint a token: " + minted.body());
        }
        clients.add(
            new Http(http.base(), Optional.of(minted.text("token")), 1, Duration.ofSeconds(30)));
      }
    }
    try {
      send(http, clients, path, o.warmup(), o.concurrency());
      double cpu = node.cpuSeconds();
      long start = System.nanoTime();
      send(http, clients, path, o.requests(), o.concurrency());
      double seconds = (System.nanoTime() - start) / 1e9;
      double used = node.cpuSeconds() - cpu;
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("requests", o.requests());
      out.put("requests_per_s", Math.round(o.requests() / seconds));
      out.put("node_cpu_us_per_request", Math.round(used * 1e6 / o.requests() * 10) / 10.0);
      return out;
    } finally {
      clients.forEach(Http::close);
    }
  }

  /** {@code count} GETs of {@code path}, {@code concurrency} at a time, all answered 200. */
  private static void send(Http http, List<Http> clients, String path, int count, int concurrency) {
    AtomicInteger next = new AtomicInteger();
    AtomicLong failed = new AtomicLong();
    List<CompletableFuture<Void>> loops = new ArrayList<>();
    for (int c = 0; c < concurrency; c++) {
      loops.add(loop(http, clients, path, count, next, failed));
    }
    CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).join();
    if (failed.get() > 0) {
      throw new IllegalStateException(failed.get() + " requests to " + path + " were not 200");
    }
  }

  private static CompletableFuture<Void> loop(
      Http http,
      List<Http> clients,
      String path,
      int count,
      AtomicInteger next,
      AtomicLong failed) {
    int n = next.getAndIncrement();
    if (n >= count) {
      return CompletableFuture.completedFuture(null);
    }
    Http client = clients.isEmpty() ? http : clients.get(n % clients.size());
    return client
        .get(path)
        .thenCompose(
            r -> {
              if (r.status() != 200) {
                failed.incrementAndGet();
              }
              return loop(http, clients, path, count, next, failed);
            });
  }
}
