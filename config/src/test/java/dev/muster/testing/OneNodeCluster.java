package dev.muster.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import dev.muster.config.persistence.DatabaseSettings;
import dev.muster.config.persistence.JournalMigrations;
import dev.muster.config.persistence.PersistenceConfig;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * A cluster of one node on an H2 journal, for tests of sharded entities and of what reads their
 * events: the journal's tables migrated, the node joined to itself and up, the read journal polling
 * often so that tests see new events soon.
 */
public final class OneNodeCluster {
  private static final Duration UP_WITHIN = Duration.ofSeconds(10);

  private static final String NODE =
      """
      pekko.actor.provider = cluster
      pekko.remote.artery.canonical.hostname = "127.0.0.1"
      pekko.remote.artery.canonical.port = 0
      pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
      # See new events sooner than the defaults (200ms polls, 1s max-ordering refresh).
      jdbc-read-journal.refresh-interval = 50ms
      jdbc-read-journal.journal-sequence-retrieval.query-delay = 50ms
      """;

  private OneNodeCluster() {}

  /** Starts it with the journal under {@code dataDir}; {@code config} overrides the defaults. */
  public static ActorTestKit start(String name, Path dataDir, String config) {
    DatabaseSettings db = TestDatabase.h2(dataDir).settings();
    JournalMigrations.migrate(db);
    ActorTestKit testKit =
        ActorTestKit.create(
            name,
            ConfigFactory.parseString(config)
                .withFallback(ConfigFactory.parseString(NODE))
                .withFallback(PersistenceConfig.forDatabase(db))
                .withFallback(ConfigFactory.load())
                .resolve());
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    Eventually.assertWithin(
        UP_WITHIN, () -> assertEquals(MemberStatus.up(), cluster.selfMember().status()));
    return testKit;
  }
}
