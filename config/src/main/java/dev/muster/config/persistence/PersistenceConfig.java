package dev.muster.config.persistence;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.HashMap;
import java.util.Map;

/**
 * The Pekko configuration of pekko-persistence-jdbc for a database: journal, snapshot store, read
 * journal and durable state on one shared pool (muster-persistence.conf), pointed at the database.
 */
public final class PersistenceConfig {
  private PersistenceConfig() {}

  public static Config forDatabase(DatabaseSettings db) {
    String shared = "pekko-persistence-jdbc.shared-databases.muster.";
    Map<String, Object> values = new HashMap<>();
    values.put(shared + "profile", db.profile().slickProfile());
    values.put(shared + "db.url", db.jdbcUrl());
    values.put(shared + "db.user", db.user());
    values.put(shared + "db.password", db.password());
    values.put(shared + "db.driver", db.profile().driver());
    values.put(shared + "db.numThreads", db.poolSize());
    values.put(shared + "db.maxConnections", db.poolSize());
    values.put(shared + "db.minConnections", db.poolSize());
    values.put(shared + "db.connectionTimeout", db.connectionTimeout().toMillis());
    String refresh = db.queryRefreshInterval().toMillis() + "ms";
    values.put("jdbc-read-journal.refresh-interval", refresh);
    values.put("jdbc-read-journal.journal-sequence-retrieval.query-delay", refresh);
    return ConfigFactory.parseMap(values)
        .withFallback(ConfigFactory.parseResources("muster-persistence.conf"));
  }
}
