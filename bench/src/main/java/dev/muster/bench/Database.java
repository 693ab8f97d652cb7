package dev.muster.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One benchmark run's database: a fresh H2 file (opened with AUTO_SERVER so the benchmark can count
 * journal rows while the node holds it) or a fresh PostgreSQL schema. Gives the node its
 * MUSTER_DB_* environment and the benchmark its own JDBC connection to the same tables.
 */
final class Database implements AutoCloseable {
  enum Kind {
    H2,
    POSTGRES
  }

  static final String PG_URL = "jdbc:postgresql://127.0.0.1:5432/test";
  static final String PG_USER = "postgres";

  final Kind kind;
  final Path dataDir;
  private final String schema;
  private final boolean keep;

  private Database(Kind kind, Path dataDir, String schema, boolean keep) {
    this.kind = kind;
    this.dataDir = dataDir;
    this.schema = schema;
    this.keep = keep;
  }

  static Database fresh(Kind kind, String label, boolean keep) {
    try {
      Path dir = Files.createTempDirectory("muster-bench-" + label + "-");
      String schema =
          "bench_"
              + label.replaceAll("[^a-z0-9]", "_")
              + "_"
              + Long.toString(System.nanoTime(), 36);
      return new Database(kind, dir, schema.length() > 60 ? schema.substring(0, 60) : schema, keep);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The environment the node is started with. */
  Map<String, String> nodeEnv() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("MUSTER_DATA_DIR", dataDir.toString());
    if (kind == Kind.H2) {
      env.put("MUSTER_DB_URL", h2Url());
    } else {
      env.put("MUSTER_DB_URL", PG_URL);
      env.put("MUSTER_DB_USER", PG_USER);
      env.put("MUSTER_DB_SCHEMA", schema);
    }
    return env;
  }

  /** The same database as muster.db.* settings, for an in-process journal (micro-benchmark). */
  Map<String, Object> nodeEnvAsSettings() {
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("muster.data-dir", dataDir.toString());
    if (kind == Kind.H2) {
      settings.put("muster.db.url", h2Url());
    } else {
      settings.put("muster.db.url", PG_URL);
      settings.put("muster.db.user", PG_USER);
      settings.put("muster.db.schema", schema);
    }
    return settings;
  }

  /** The URL the node's journal uses (H2: AUTO_SERVER so a second process may connect). */
  String h2Url() {
    return "jdbc:h2:file:" + dataDir.resolve("muster") + ";AUTO_SERVER=TRUE";
  }

  /** A separate connection of the benchmark's own to the journal's tables. */
  Connection connect() throws SQLException {
    if (kind == Kind.H2) {
      return DriverManager.getConnection(h2Url(), "", "");
    }
    return DriverManager.getConnection(PG_URL + "?currentSchema=" + schema, PG_USER, "");
  }

  /** The schema (PostgreSQL) the node's migrations create. */
  String schema() {
    return schema;
  }

  /**
   * The journal's highest ordering: rows written so far (the ordering is a sequence; a rolled-back
   * insert leaves a gap, which none of these runs produce). Cheap on both databases (an index).
   */
  long journalRows(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery("SELECT COALESCE(MAX(\"ordering\"), 0) FROM \"event_journal\"")) {
      r.next();
      return r.getLong(1);
    }
  }

  @Override
  public void close() {
    if (keep) {
      return;
    }
    if (kind == Kind.POSTGRES) {
      try (Connection c = DriverManager.getConnection(PG_URL, PG_USER, "");
          Statement s = c.createStatement()) {
        s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
      } catch (SQLException e) {
        System.err.println("could not drop schema " + schema + ": " + e.getMessage());
      }
    }
    try (var files = Files.walk(dataDir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.err.println("could not delete " + dataDir + ": " + e.getMessage());
    }
  }
}
