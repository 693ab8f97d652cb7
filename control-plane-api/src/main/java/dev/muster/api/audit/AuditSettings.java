package dev.muster.api.audit;

import com.typesafe.config.Config;
import dev.muster.config.Settings;
import dev.muster.config.SettingsException;
import java.time.Duration;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;
import org.apache.pekko.actor.typed.SupervisorStrategy;

/**
 * The {@code muster.audit.*} settings (reference.conf of this module), checked on load: how the
 * audit log batches its writes and bounds what waits, how much of the journal one read of it may
 * scan, and how its writer restarts after a failed write.
 */
public record AuditSettings(
    int maxBatch,
    int maxPending,
    int maxScan,
    String readJournal,
    Duration persistFailureMinBackoff,
    Duration persistFailureMaxBackoff,
    double persistFailureRandomFactor) {

  public static AuditSettings from(Config config) {
    if (!config.hasPath("muster.audit")) {
      throw new SettingsException("audit", "missing (is control-plane-api on the classpath?)");
    }
    Config muster = config.getConfig("muster");
    Duration min = Settings.positiveDuration(muster, "audit.persist-failure.min-backoff");
    Duration max = Settings.positiveDuration(muster, "audit.persist-failure.max-backoff");
    if (max.compareTo(min) < 0) {
      throw new SettingsException(
          "audit.persist-failure.max-backoff", "must not be shorter than min-backoff");
    }
    double factor = Settings.read(muster, "audit.persist-failure.random-factor", muster::getDouble);
    if (factor < 0 || factor > 1) {
      throw new SettingsException(
          "audit.persist-failure.random-factor", "must be between 0 and 1, got " + factor);
    }
    String readJournal = Settings.string(muster, "audit.read-journal");
    if (readJournal.isEmpty()) {
      throw new SettingsException("audit.read-journal", "must not be empty");
    }
    return new AuditSettings(
        Settings.positiveInt(muster, "audit.max-batch"),
        Settings.positiveInt(muster, "audit.max-pending"),
        Settings.positiveInt(muster, "audit.max-scan"),
        readJournal,
        min,
        max,
        factor);
  }

  /** How the writer restarts after a failed journal write. */
  BackoffSupervisorStrategy persistFailure() {
    return SupervisorStrategy.restartWithBackoff(
        persistFailureMinBackoff, persistFailureMaxBackoff, persistFailureRandomFactor);
  }
}
