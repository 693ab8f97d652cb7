package dev.muster.runtime.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.muster.config.ClusterSettings;
import dev.muster.config.NodeSettings;
import dev.muster.config.persistence.PersistenceConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole Pekko configuration of a node: its address and seed nodes, failure detection and split
 * brain resolution, and the journal's database, layered over the loaded configuration.
 */
public final class NodeConfig {
  /** The ActorSystem name; every node of a cluster has the same. */
  public static final String SYSTEM_NAME = "muster";

  private NodeConfig() {}

  public static Config render(NodeSettings node, RuntimeSettings runtime, Config loaded) {
    ClusterSettings cluster = node.cluster();
    Map<String, Object> values = new HashMap<>();
    values.put("pekko.remote.artery.canonical.hostname", cluster.host());
    values.put("pekko.remote.artery.canonical.port", cluster.port());
    values.put("pekko.cluster.seed-nodes", seedAddresses(cluster));
    values.put("pekko.cluster.split-brain-resolver.active-strategy", runtime.splitBrainStrategy());
    values.put("pekko.cluster.split-brain-resolver.stable-after", millis(runtime.stableAfter()));
    values.put(
        "pekko.cluster.failure-detector.heartbeat-interval", millis(runtime.heartbeatInterval()));
    values.put(
        "pekko.cluster.failure-detector.acceptable-heartbeat-pause",
        millis(runtime.acceptableHeartbeatPause()));
    values.put("pekko.cluster.sharding.retry-interval", millis(runtime.shardingRetryInterval()));
    values.put(
        "pekko.cluster.sharding.coordinator-state.write-majority-plus",
        runtime.shardingCoordinatorWriteMajorityPlus());
    values.put(
        "pekko.cluster.sharding.passivation.default-idle-strategy.idle-entity.timeout",
        millis(runtime.passivateIdleAfter()));
    // -D system properties win over everything, as with any Typesafe Config application: an
    // operator can tune a plugin setting (say -Djdbc-journal.parallelism=2) without a config file.
    return ConfigFactory.systemProperties()
        .withFallback(ConfigFactory.parseMap(values))
        .withFallback(PersistenceConfig.forDatabase(node.database()))
        .withFallback(ConfigFactory.parseResources("muster-node.conf"))
        .withFallback(loaded)
        .resolve();
  }

  private static List<String> seedAddresses(ClusterSettings cluster) {
    return cluster.seedNodes().stream()
        .map(seed -> "pekko://" + SYSTEM_NAME + "@" + seed.host() + ":" + seed.port())
        .toList();
  }

  private static String millis(Duration duration) {
    return duration.toMillis() + "ms";
  }
}
