package dev.muster.registry;

import com.typesafe.config.Config;
import dev.muster.config.Settings;
import dev.muster.config.SettingsException;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.stream.RestartSettings;

/** The {@code muster.registry.*} settings (reference.conf of this module), checked on load. */
public record RegistrySettings(
    Duration livenessWindow,
    Duration heartbeatRecordInterval,
    int defaultMaxConcurrentAttempts,
    Snapshots participantSnapshots,
    InboxSettings inbox,
    IndexSettings index,
    Backoff persistFailure) {

  /** Snapshot every {@code every} events, keeping {@code keep} of them. */
  public record Snapshots(int every, int keep) {
    public RetentionCriteria retention() {
      return RetentionCriteria.snapshotEvery(every, keep);
    }
  }

  /** Delivery leases, backpressure and the memory of acked ids of every inbox. */
  public record InboxSettings(
      Duration lease,
      int maxPending,
      int recentlyAcked,
      int maxBatch,
      Duration maxPollWait,
      Snapshots snapshots) {}

  /** Where the capability index reads participant events from, and how it batches and restarts. */
  public record IndexSettings(
      String readJournal, int batchSize, Duration batchWindow, Backoff restart) {}

  /** An exponential backoff. */
  public record Backoff(Duration min, Duration max, double randomFactor) {
    public BackoffSupervisorStrategy restart() {
      return SupervisorStrategy.restartWithBackoff(min, max, randomFactor);
    }

    public RestartSettings restartSettings() {
      return RestartSettings.create(min, max, randomFactor);
    }
  }

  public static RegistrySettings load(ActorSystem<?> system) {
    return from(system.settings().config());
  }

  /** Reads {@code muster.registry} from the whole configuration. */
  public static RegistrySettings from(Config config) {
    if (!config.hasPath("muster.registry")) {
      throw new SettingsException(
          "registry", "missing (is participant-registry on the classpath?)");
    }
    Config muster = config.getConfig("muster");
    Duration window = Settings.positiveDuration(muster, "registry.liveness-window");
    Duration recordInterval =
        Settings.positiveDuration(muster, "registry.heartbeat-record-interval");
    if (recordInterval.compareTo(window) >= 0) {
      throw new SettingsException(
          "registry.heartbeat-record-interval",
          "must be shorter than liveness-window (" + window + "), got " + recordInterval);
    }
    return new RegistrySettings(
        window,
        recordInterval,
        Settings.positiveInt(muster, "registry.default-max-concurrent-attempts"),
        snapshots(muster, "registry.participant"),
        new InboxSettings(
            Settings.positiveDuration(muster, "registry.inbox.lease"),
            Settings.positiveInt(muster, "registry.inbox.max-pending"),
            Settings.positiveInt(muster, "registry.inbox.recently-acked"),
            Settings.positiveInt(muster, "registry.inbox.max-batch"),
            Settings.positiveDuration(muster, "registry.inbox.max-poll-wait"),
            snapshots(muster, "registry.inbox")),
        new IndexSettings(
            nonEmpty(muster, "registry.index.read-journal"),
            Settings.positiveInt(muster, "registry.index.batch-size"),
            Settings.positiveDuration(muster, "registry.index.batch-window"),
            backoff(muster, "registry.index.restart-")),
        backoff(muster, "registry.persist-failure."));
  }

  private static Snapshots snapshots(Config muster, String prefix) {
    return new Snapshots(
        Settings.positiveInt(muster, prefix + ".snapshot-every"),
        Settings.positiveInt(muster, prefix + ".keep-snapshots"));
  }

  private static Backoff backoff(Config muster, String prefix) {
    Duration min = Settings.positiveDuration(muster, prefix + "min-backoff");
    Duration max = Settings.positiveDuration(muster, prefix + "max-backoff");
    if (max.compareTo(min) < 0) {
      throw new SettingsException(prefix + "max-backoff", "must not be shorter than min-backoff");
    }
    String factorPath = prefix + "random-factor";
    double factor = Settings.read(muster, factorPath, muster::getDouble);
    if (factor < 0 || factor > 1) {
      throw new SettingsException(factorPath, "must be between 0 and 1, got " + factor);
    }
    return new Backoff(min, max, factor);
  }

  private static String nonEmpty(Config muster, String path) {
    String value = Settings.string(muster, path);
    if (value.isEmpty()) {
      throw new SettingsException(path, "must not be empty");
    }
    return value;
  }
}
