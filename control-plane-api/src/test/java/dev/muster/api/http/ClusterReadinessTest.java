package dev.muster.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.muster.config.persistence.DatabaseSettings;
import dev.muster.config.persistence.JournalMigrations;
import dev.muster.testing.Eventually;
import dev.muster.testing.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** {@code /health/ready} of a real one-node cluster with a real (H2) journal. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterReadinessTest {
  private ActorSystem<Void> system;
  private TestHttp http;

  @BeforeAll
  void start(@TempDir Path dataDir) {
    DatabaseSettings db = TestDatabase.h2(dataDir).settings();
    JournalMigrations.migrate(db);
    system =
        ActorSystem.create(
            Behaviors.empty(),
            "readiness",
            TestHttp.config(
                """
                pekko.actor.provider = cluster
                pekko.remote.artery.canonical.hostname = "127.0.0.1"
                pekko.remote.artery.canonical.port = 0
                pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
                """));
    HttpSettings settings = HttpSettings.from(system.settings().config());
    JournalProbe journal = JournalProbe.start(system, db, settings);
    ServerBinding binding =
        HttpServer.start(system, HealthRoutes.forNode(system, journal, settings).route(), settings)
            .toCompletableFuture()
            .join();
    http = new TestHttp(binding);
  }

  @AfterAll
  void stop() {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
  }

  @Test
  void readyOnlyOnceTheMemberIsUp() {
    TestHttp.Reply before = http.get("/health/ready");
    assertEquals(503, before.status(), before.raw().body());
    assertEquals("not_ready", before.json().path("status").asText());
    assertEquals("down", before.json().path("checks").path("cluster").path("status").asText());
    assertEquals("up", before.json().path("checks").path("journal").path("status").asText());

    Cluster cluster = Cluster.get(system);
    cluster.manager().tell(Join.create(cluster.selfMember().address()));

    Eventually.assertWithin(
        Duration.ofSeconds(10),
        () -> {
          TestHttp.Reply after = http.get("/health/ready");
          assertEquals(200, after.status(), after.raw().body());
          assertEquals(
              "{\"status\":\"ready\",\"checks\":{"
                  + "\"cluster\":{\"status\":\"up\",\"detail\":\"member is up\"},"
                  + "\"journal\":{\"status\":\"up\",\"detail\":\"journal table answers\"}}}",
              after.raw().body());
        });
  }
}
