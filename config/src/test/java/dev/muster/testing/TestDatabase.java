package dev.muster.testing;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.muster.config.persistence.DatabaseSettings;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A real database for a test: embedded H2 in a temporary directory, or a fresh schema on the local
 * PostgreSQL (127.0.0.1:5432, database test) that is dropped again on close. When PostgreSQL cannot
 * be reached, a test is skipped with a clear message, except in CI (CI set), where it fails.
 */
public final class TestDatabase implements AutoCloseable {
  public static final String POSTGRES_URL =
      System.getenv().getOrDefault("MUSTER_TEST_PG_URL", "jdbc:postgresql://127.0.0.1:5432/test");
  public static final String POSTGRES_USER =
      System.getenv().getOrDefault("MUSTER_TEST_PG_USER", "postgres");

  private final Config overrides;
  private final String schema;

  private TestDatabase(Config overrides, String schema) {
    this.overrides = overrides;
    this.schema = schema;
  }

  /** Embedded H2 in file mode under {@code dataDir}, the way a node runs by default. */
  public static TestDatabase h2(Path dataDir) {
    return new TestDatabase(
        ConfigFactory.parseMap(Map.of("muster.data-dir", dataDir.toString(), "muster.db.url", "")),
        null);
  }

  /** A fresh schema on the local PostgreSQL; skips (or fails in CI) when there is no server. */
  public static TestDatabase postgres() {
    requirePostgres();
    String schema = "muster_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    return new TestDatabase(
        ConfigFactory.parseMap(
            Map.of(
                "muster.db.url", POSTGRES_URL,
                "muster.db.user", POSTGRES_USER,
                "muster.db.password", "",
                "muster.db.schema", schema)),
        schema);
  }

  /** Aborts the test outside CI, fails it in CI, when PostgreSQL does not answer. */
  public static void requirePostgres() {
    try (Connection ignored = DriverManager.getConnection(POSTGRES_URL, POSTGRES_USER, "")) {
      // reachable
    } catch (SQLException e) {
      String message =
          "PostgreSQL is not reachable at " + POSTGRES_URL + " as " + POSTGRES_USER + ": " + e;
      if (System.getenv("CI") != null) {
        Assertions.fail(message + " (CI is set, so PostgreSQL tests must run)");
      }
      Assumptions.abort(message + " - skipping; start it with pg_ctlcluster (see README)");
    }
  }

  /** The {@code muster.db.*} (and data-dir) keys that point a node at this database. */
  public Config config() {
    return overrides;
  }

  /** The settings as a node would read them, layered over the module defaults. */
  public DatabaseSettings settings() {
    Config muster = overrides.withFallback(ConfigFactory.load()).resolve().getConfig("muster");
    return DatabaseSettings.from(muster, Path.of(muster.getString("data-dir")).toAbsolutePath());
  }

  @Override
  public void close() throws SQLException {
    if (schema == null) {
      return;
    }
    try (Connection connection = DriverManager.getConnection(POSTGRES_URL, POSTGRES_USER, "");
        Statement statement = connection.createStatement()) {
      statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }
  }
}
