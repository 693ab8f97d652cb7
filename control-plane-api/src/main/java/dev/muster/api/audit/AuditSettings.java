package dev.muster.api.audit;

import com.typesafe.config.Config;
import dev.muster.config.Settings;
import dev.muster.config.SettingsException;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;

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
    BackoffSupervisorStrategy persistFailure) {

  public static AuditSettings from(Config config) {
    if (!config.hasPath("muster.audit")) {
      throw new SettingsException("audit", "missing (is control-plane-api on the classpath?)");
    }
    Config muster = config.getConfig("muster");
    String readJournal = Settings.string(muster, "audit.read-journal");
    if (readJournal.isEmpty()) {
      throw new SettingsException("audit.read-journal", "must not be empty");
    }
    return new AuditSettings(
        Settings.positiveInt(muster, "audit.max-batch"),
        Settings.positiveInt(muster, "audit.max-pending"),
        Settings.positiveInt(muster, "audit.max-scan"),
        readJournal,
        Settings.restartWithBackoff(muster, "audit.persist-failure."));
  }
}
