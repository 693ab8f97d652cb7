package dev.muster.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.config.persistence.DatabaseSettings;
import dev.muster.config.persistence.JournalMigrations;
import dev.muster.testing.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The journal probe against real embedded H2 databases. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JournalProbeTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private final ExecutorService blocking = Executors.newFixedThreadPool(2);

  @AfterAll
  void stop() {
    blocking.shutdownNow();
  }

  private CheckResult probe(DatabaseSettings db) {
    return probe(db, TIMEOUT);
  }

  private CheckResult probe(DatabaseSettings db, Duration timeout) {
    try (JournalProbe probe = JournalProbe.create(db, timeout, blocking)) {
      assertEquals("journal", probe.name());
      return probe.check().toCompletableFuture().join();
    }
  }

  @Test
  void upWhenTheJournalTableAnswers(@TempDir Path dir) {
    DatabaseSettings db = TestDatabase.h2(dir).settings();
    JournalMigrations.migrate(db);
    CheckResult result = probe(db);
    assertTrue(result.ok(), result.toString());
  }

  @Test
  void downWhenTheJournalTableIsMissing(@TempDir Path dir) {
    CheckResult result = probe(TestDatabase.h2(dir).settings());
    assertEquals(CheckResult.DOWN, result.status());
    assertTrue(result.detail().startsWith("query failed (SQLState "), result.detail());
  }

  @Test
  void downWhenTheDatabaseCannotBeReached(@TempDir Path dir) {
    DatabaseSettings db = TestDatabase.h2(dir).settings();
    // IFEXISTS=TRUE: H2 refuses to create the database, as a server that is not there would.
    DatabaseSettings missing =
        new DatabaseSettings(
            db.profile(),
            "jdbc:h2:file:" + dir.resolve("absent") + ";IFEXISTS=TRUE",
            db.user(),
            db.password(),
            db.schema(),
            db.poolSize(),
            db.connectionTimeout(),
            db.queryRefreshInterval(),
            db.statementTimeout());
    CheckResult result = probe(missing, Duration.ofMillis(500));
    assertEquals(CheckResult.DOWN, result.status(), result.toString());
  }
}
