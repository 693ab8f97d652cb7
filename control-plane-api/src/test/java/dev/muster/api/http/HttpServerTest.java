package dev.muster.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;
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
}
