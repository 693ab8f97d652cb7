package dev.muster.runtime.node;

import com.typesafe.config.Config;
import dev.muster.config.Settings;
import dev.muster.config.SettingsException;
import java.time.Duration;
import java.util.Set;

/** The swarm runtime's cluster settings: failure detection, split brain resolution, sharding. */
public record RuntimeSettings(
    String splitBrainStrategy,
    Duration stableAfter,
    Duration heartbeatInterval,
    Duration acceptableHeartbeatPause,
    Duration shardingRetryInterval,
    int shardingCoordinatorWriteMajorityPlus,
    Duration passivateIdleAfter) {

  private static final Set<String> STRATEGIES =
      Set.of("keep-majority", "keep-oldest", "static-quorum", "keep-referee", "down-all");

  public static RuntimeSettings from(Config config) {
    Config muster = config.getConfig("muster");
    String strategy = Settings.string(muster, "cluster.split-brain-resolver.active-strategy");
    if (!STRATEGIES.contains(strategy)) {
      throw new SettingsException(
          "cluster.split-brain-resolver.active-strategy",
          "one of " + STRATEGIES + ", got '" + strategy + "'");
    }
    return new RuntimeSettings(
        strategy,
        Settings.positiveDuration(muster, "cluster.split-brain-resolver.stable-after"),
        Settings.positiveDuration(muster, "cluster.failure-detector.heartbeat-interval"),
        Settings.positiveDuration(muster, "cluster.failure-detector.acceptable-heartbeat-pause"),
        Settings.positiveDuration(muster, "cluster.sharding-retry-interval"),
        writeMajorityPlus(muster),
        Settings.positiveDuration(muster, "cluster.passivate-idle-after"));
  }

  private static int writeMajorityPlus(Config muster) {
    String path = "cluster.sharding-coordinator-write-majority-plus";
    int plus = Settings.read(muster, path, muster::getInt);
    if (plus < 0) {
      throw new SettingsException(path, "must not be negative, got " + plus);
    }
    return plus;
  }
}
