package dev.muster.config.persistence;

import java.util.Map;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Brings the journal's schema up to date with Flyway before the journal is used. The migrations are
 * pekko-persistence-jdbc's own DDL, one folder per database, plus Muster's indexes. They run
 * without the journal's statement timeout. On PostgreSQL every migrate (every node start) ends by
 * analyzing the tables the read journal joins (callback afterMigrate__analyze_journal.sql).
 */
public final class JournalMigrations {
  private JournalMigrations() {}

  /** Applies every pending migration; throws with the database's reason when one fails. */
  public static MigrateResult migrate(DatabaseSettings db) {
    var configuration =
        Flyway.configure()
            .dataSource(db.jdbcUrl(), db.user(), db.password())
            .locations(db.profile().migrations())
            .connectRetries(3)
            .failOnMissingLocations(true)
            // A transactional advisory lock would make CREATE INDEX CONCURRENTLY wait for Flyway's
            // own lock transaction forever; a session lock does not.
            .configuration(Map.of("flyway.postgresql.transactional.lock", "false"));
    db.schema().ifPresent(schema -> configuration.schemas(schema).createSchemas(true));
    if (db.profile() == DatabaseProfile.POSTGRES) {
      // The URL carries the journal's statement timeout (DatabaseSettings#jdbcUrl); a migration
      // may take longer: an index built on a journal that has rows, a wait for older transactions
      // (CREATE INDEX CONCURRENTLY) or for another node's migration lock.
      configuration.initSql("SET statement_timeout = 0");
    }
    try {
      return configuration.load().migrate();
    } catch (FlywayException e) {
      throw new IllegalStateException(
          "Cannot migrate the journal schema on " + db.describe() + ": " + e.getMessage(), e);
    }
  }
}
