package dev.muster.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The health answers over HTTP, with checks the test controls. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HealthRoutesTest {
  private final AtomicReference<Supplier<CompletionStage<CheckResult>>> database =
      new AtomicReference<>();
  private ActorTestKit testKit;
  private TestHttp http;

  private static ReadinessCheck check(
      String name, Supplier<Supplier<CompletionStage<CheckResult>>> current) {
    return new ReadinessCheck() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public CompletionStage<CheckResult> check() {
        return current.get().get();
      }
    };
  }

  @BeforeAll
  void start() {
    testKit = ActorTestKit.create("health", TestHttp.config(""));
    HttpSettings settings = HttpSettings.from(testKit.system().settings().config());
    HealthRoutes health =
        new HealthRoutes(
            List.of(
                check(
                    "cluster",
                    () -> () -> CompletableFuture.completedFuture(CheckResult.up("member is up"))),
                check("journal", database::get)),
            Duration.ofMillis(300));
    ServerBinding binding =
        HttpServer.start(testKit.system(), health.route(), settings).toCompletableFuture().join();
    http = new TestHttp(binding);
  }

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void aliveAnswersWithoutChecking() {
    database.set(() -> new CompletableFuture<>());
    TestHttp.Reply reply = http.get("/health/alive");
    assertEquals(200, reply.status());
    assertEquals("{\"status\":\"alive\"}", reply.raw().body());
  }

  @Test
  void readyWhenEveryCheckPasses() {
    database.set(() -> CompletableFuture.completedFuture(CheckResult.up("journal table answers")));
    TestHttp.Reply reply = http.get("/health/ready");
    assertEquals(200, reply.status());
    assertEquals(
        "{\"status\":\"ready\",\"checks\":{"
            + "\"cluster\":{\"status\":\"up\",\"detail\":\"member is up\"},"
            + "\"journal\":{\"status\":\"up\",\"detail\":\"journal table answers\"}}}",
        reply.raw().body());
  }

  @Test
  void notReadySaysWhichCheckFailed() {
    database.set(
        () -> CompletableFuture.completedFuture(CheckResult.down("query failed (SQLState 08001)")));
    TestHttp.Reply reply = http.get("/health/ready");
    assertEquals(503, reply.status());
    assertEquals("not_ready", reply.json().path("status").asText());
    assertEquals("up", reply.json().path("checks").path("cluster").path("status").asText());
    assertEquals(
        "query failed (SQLState 08001)",
        reply.json().path("checks").path("journal").path("detail").asText());
  }

  @Test
  void aCheckThatHangsOrThrowsCountsAsDown() {
    database.set(() -> new CompletableFuture<>());
    TestHttp.Reply hung = http.get("/health/ready");
    assertEquals(503, hung.status());
    assertEquals(
        "no answer within 300ms",
        hung.json().path("checks").path("journal").path("detail").asText());

    database.set(
        () -> {
          throw new IllegalStateException("pool closed");
        });
    TestHttp.Reply thrown = http.get("/health/ready");
    assertEquals(503, thrown.status());
    assertEquals("down", thrown.json().path("checks").path("journal").path("status").asText());
  }

  @Test
  void healthIsGetOnly() {
    assertEquals(405, http.method("POST", "/health/ready").status());
  }
}
