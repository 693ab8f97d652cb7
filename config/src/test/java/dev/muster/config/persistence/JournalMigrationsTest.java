package dev.muster.config.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
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
