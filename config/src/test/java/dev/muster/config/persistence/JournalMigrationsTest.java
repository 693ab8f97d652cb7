package dev.muster.config.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.muster.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
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
  void journalConnectionsHaveTheStatementTimeout() throws Exception {
    try (TestDatabase pg = TestDatabase.postgres()) {
      DatabaseSettings db = withStatementTimeout(pg, "300ms");
      JournalMigrations.migrate(db);
      try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
          Statement s = c.createStatement()) {
        assertEquals("300ms", show(s, "statement_timeout"));
        SQLException cancelled =
            assertThrows(SQLException.class, () -> s.execute("SELECT pg_sleep(2)"));
        assertEquals("57014", cancelled.getSQLState(), cancelled.toString());
      }
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
