package dev.muster.config.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.muster.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The migrations create the plugin's tables on a real H2 file and a real PostgreSQL schema. */
class JournalMigrationsTest {

  /**
   * The eventsByTag statement pekko-persistence-jdbc 1.1.1 sends to PostgreSQL (from the server's
   * log of a node), the query of every read model that follows a tag.
   */
  static final String EVENTS_BY_TAG =
      "select x2.x3, x2.x4, x2.x5, x2.x6, x2.x7, x2.x8, x2.x9, x2.x10, x2.x11, x2.x12, x2.x13,"
          + " x2.x14, x2.x15 from (select \"deleted\" as x4, \"meta_ser_id\" as x14,"
          + " \"meta_ser_manifest\" as x15, \"sequence_number\" as x6, \"writer\" as x7,"
          + " \"event_ser_manifest\" as x12, \"write_timestamp\" as x8, \"persistence_id\" as x5,"
          + " \"adapter_manifest\" as x9, \"ordering\" as x3, \"event_payload\" as x10,"
          + " \"event_ser_id\" as x11, \"meta_payload\" as x13 from \"event_journal\" where"
          + " \"deleted\" = false) x2, \"event_tag\" x16 where ((x16.\"tag\" = ?) and ((x2.x3 > ?)"
          + " and (x2.x3 <= ?))) and (x2.x3 = x16.\"event_id\") order by x2.x3 limit ?";

  @Test
  void migratesEmbeddedH2AndIsIdempotent(@TempDir Path dir) throws Exception {
    DatabaseSettings db = TestDatabase.h2(dir).settings();
    assertEquals(2, JournalMigrations.migrate(db).migrationsExecuted);
    assertEquals(0, JournalMigrations.migrate(db).migrationsExecuted);
    assertTrue(tables(db).containsAll(Set.of("event_journal", "event_tag", "snapshot")));
    assertEquals(List.of("tag", "event_id"), indexColumns(db, "event_tag_tag_event_id_idx"));
  }

  @Test
  void migratesAFreshPostgresSchema() throws Exception {
    try (TestDatabase pg = TestDatabase.postgres()) {
      DatabaseSettings db = pg.settings();
      assertEquals(3, JournalMigrations.migrate(db).migrationsExecuted);
      assertEquals(0, JournalMigrations.migrate(db).migrationsExecuted);
      assertTrue(
          tables(db)
              .containsAll(Set.of("event_journal", "event_tag", "snapshot", "durable_state")));
      assertEquals(List.of("tag", "event_id"), indexColumns(db, "event_tag_tag_event_id_idx"));
    }
  }

  @Test
  void journalConnectionsHaveTheStatementTimeoutAndCustomPlansOnly() throws Exception {
    try (TestDatabase pg = TestDatabase.postgres()) {
      DatabaseSettings db = withStatementTimeout(pg, "300ms");
      JournalMigrations.migrate(db);
      try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
          Statement s = c.createStatement()) {
        assertEquals("300ms", show(s, "statement_timeout"));
        assertEquals("force_custom_plan", show(s, "plan_cache_mode"));
        SQLException cancelled =
            assertThrows(SQLException.class, () -> s.execute("SELECT pg_sleep(2)"));
        assertEquals("57014", cancelled.getSQLState(), cancelled.toString());
      }
    }
  }

  /**
   * pgjdbc prepares a statement on the server after 5 executions, and PostgreSQL then chooses a
   * generic plan, cached until the tables are analyzed again; on the journal's connections every
   * execution of the read journal's query is planned for its parameters (a generic plan made on the
   * empty journal read the tag's index from its start for each journal row).
   */
  @Test
  void theReadJournalsQueryIsNeverRunWithACachedGenericPlan() throws Exception {
    try (TestDatabase pg = TestDatabase.postgres()) {
      DatabaseSettings db = pg.settings();
      JournalMigrations.migrate(db);
      String plainUrl = db.jdbcUrl().replaceAll("&options=[^&]*", "");
      // Without the session setting PostgreSQL does switch to a generic plan here, so the check
      // below means something.
      assertTrue(plans(plainUrl, db).generic() > 0, "PostgreSQL kept custom plans by itself");
      Plans plans = plans(db.jdbcUrl(), db);
      assertEquals(0, plans.generic(), plans.toString());
      assertTrue(plans.custom() >= 5, plans.toString());
    }
  }

  @Test
  void aMigrationIsNotCutByTheStatementTimeout() throws Exception {
    try (TestDatabase pg = TestDatabase.postgres()) {
      DatabaseSettings db = pg.settings();
      JournalMigrations.migrate(db);
      // A journal with rows, whose V3 index is still to be built.
      try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
          Statement s = c.createStatement()) {
        s.execute("SET statement_timeout = 0");
        s.execute(
            "INSERT INTO event_journal(persistence_id, sequence_number, writer, write_timestamp,"
                + " adapter_manifest, event_ser_id, event_ser_manifest, event_payload)"
                + " SELECT 'p-' || g, 1, 'w', 0, '', 1, 'm', '\\x00'::bytea"
                + " FROM generate_series(1, 300000) g");
        s.execute("INSERT INTO event_tag(event_id, tag) SELECT ordering, 'tag' FROM event_journal");
        s.execute("DROP INDEX event_tag_tag_event_id_idx");
        s.execute("DELETE FROM flyway_schema_history WHERE version = '3'");
      }
      DatabaseSettings tight = withStatementTimeout(pg, "5ms");
      assertEquals(1, JournalMigrations.migrate(tight).migrationsExecuted);
      assertEquals(List.of("tag", "event_id"), indexColumns(db, "event_tag_tag_event_id_idx"));
    }
  }

  @Test
  void everyMigrateAnalyzesTheTablesTheReadJournalJoins() throws Exception {
    try (TestDatabase pg = TestDatabase.postgres()) {
      DatabaseSettings db = pg.settings();
      JournalMigrations.migrate(db);
      try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
          Statement s = c.createStatement()) {
        s.execute(
            "INSERT INTO event_journal(persistence_id, sequence_number, writer, write_timestamp,"
                + " adapter_manifest, event_ser_id, event_ser_manifest, event_payload)"
                + " SELECT 'p-' || g, 1, 'w', 0, '', 1, 'm', '\\x00'::bytea"
                + " FROM generate_series(1, 1000) g");
        s.execute(
            "INSERT INTO event_tag(event_id, tag) SELECT ordering, 'participant' FROM event_journal");
        assertEquals(0, tagStatistics(s));
        // The next start: no migration pending, the statistics are taken all the same.
        assertEquals(0, JournalMigrations.migrate(db).migrationsExecuted);
        assertEquals(1, tagStatistics(s));
        try (ResultSet rs =
            s.executeQuery(
                "SELECT reltuples FROM pg_class WHERE oid = 'event_journal'::regclass")) {
          rs.next();
          assertEquals(1000, rs.getLong(1));
        }
      }
    }
  }

  private static int tagStatistics(Statement s) throws SQLException {
    try (ResultSet rs =
        s.executeQuery(
            "SELECT count(*) FROM pg_stats WHERE schemaname = current_schema()"
                + " AND tablename = 'event_tag' AND attname = 'tag'")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private record Plans(long generic, long custom) {}

  private static Plans plans(String url, DatabaseSettings db) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, db.user(), db.password())) {
      try (PreparedStatement query = c.prepareStatement(EVENTS_BY_TAG)) {
        for (int i = 0; i < 15; i++) {
          query.setString(1, "participant");
          query.setLong(2, 0);
          query.setLong(3, 100);
          query.setLong(4, 500);
          try (ResultSet rs = query.executeQuery()) {
            while (rs.next()) {
              // drain
            }
          }
        }
      }
      try (Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                      + " WHERE statement LIKE '%event_tag%'")) {
        assertTrue(rs.next(), "the query was not prepared on the server");
        return new Plans(rs.getLong(1), rs.getLong(2));
      }
    }
  }

  private static DatabaseSettings withStatementTimeout(TestDatabase pg, String timeout) {
    var muster =
        ConfigFactory.parseMap(Map.of("muster.db.statement-timeout", timeout))
            .withFallback(pg.config())
            .withFallback(ConfigFactory.load())
            .resolve()
            .getConfig("muster");
    return DatabaseSettings.from(muster, Path.of(muster.getString("data-dir")).toAbsolutePath());
  }

  private static String show(Statement s, String setting) throws SQLException {
    try (ResultSet rs = s.executeQuery("SHOW " + setting)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static List<String> indexColumns(DatabaseSettings db, String index) throws Exception {
    List<String> columns = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        ResultSet rs =
            c.getMetaData().getIndexInfo(null, c.getSchema(), "event_tag", false, false)) {
      while (rs.next()) {
        if (index.equalsIgnoreCase(rs.getString("INDEX_NAME"))) {
          columns.add(rs.getString("COLUMN_NAME"));
        }
      }
    }
    return columns;
  }

  private static Set<String> tables(DatabaseSettings db) throws Exception {
    Set<String> names = new HashSet<>();
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        ResultSet rs =
            c.getMetaData().getTables(null, c.getSchema(), "%", new String[] {"TABLE"})) {
      while (rs.next()) {
        names.add(rs.getString("TABLE_NAME"));
      }
    }
    return names;
  }
}
