package dev.muster.api.http;

import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /health/alive}: the process answers HTTP (for restarts). {@code GET /health/ready}:
 * every {@link ReadinessCheck} passed within {@code muster.http.health-check-timeout} (for load
 * balancers): 200 {@code {"status":"ready","checks":{...}}}, otherwise 503 {@code
 * {"status":"not_ready","checks":{...}}} saying which check failed and why.
 */
public final class HealthRoutes {
  /** The body of both health answers. */
  public record Health(String status, Map<String, CheckResult> checks) {}

  private final List<ReadinessCheck> checks;
  private final Duration checkTimeout;

  public HealthRoutes(List<ReadinessCheck> checks, Duration checkTimeout) {
    this.checks = List.copyOf(checks);
    this.checkTimeout = checkTimeout;
  }

  /** A node is ready when its cluster member is Up and its journal answers a query. */
  public static HealthRoutes forNode(
      ActorSystem<?> system, JournalProbe journal, HttpSettings settings) {
    return new HealthRoutes(
        List.of(ReadinessCheck.clusterMemberUp(system), journal), settings.healthCheckTimeout());
  }

  public Route route() {
    return pathPrefix(
        "health",
        () ->
            concat(
                path("alive", () -> get(() -> JsonSupport.completeOk(new Health("alive", null)))),
                path("ready", () -> get(() -> onSuccess(readiness(), this::answer)))));
  }

  private Route answer(Health health) {
    return JsonSupport.completeJson(
        "ready".equals(health.status()) ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE, health);
  }

  /** Runs every check at once; a check that fails or does not answer in time counts as down. */
  public CompletionStage<Health> readiness() {
    List<CompletableFuture<Map.Entry<String, CheckResult>>> running =
        checks.stream().map(this::bounded).toList();
    return CompletableFuture.allOf(running.toArray(CompletableFuture[]::new))
        .thenApply(
            done -> {
              Map<String, CheckResult> results = new TreeMap<>();
              running.forEach(check -> results.put(check.join().getKey(), check.join().getValue()));
              boolean ready = results.values().stream().allMatch(CheckResult::ok);
              return new Health(ready ? "ready" : "not_ready", results);
            });
  }

  private CompletableFuture<Map.Entry<String, CheckResult>> bounded(ReadinessCheck check) {
    CompletableFuture<CheckResult> result;
    try {
      // A copy: completing it on timeout must not complete a future the check may share.
      result = check.check().toCompletableFuture().copy();
    } catch (RuntimeException e) {
      result = CompletableFuture.failedFuture(e);
    }
    return result
        .completeOnTimeout(
            CheckResult.down("no answer within " + checkTimeout.toMillis() + "ms"),
            checkTimeout.toMillis(),
            TimeUnit.MILLISECONDS)
        .exceptionally(e -> CheckResult.down("check failed: " + e.getClass().getSimpleName()))
        .thenApply(outcome -> Map.entry(check.name(), outcome));
  }
}
