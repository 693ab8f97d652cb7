package dev.muster.runtime.budget;

import com.typesafe.config.Config;
import dev.muster.config.Settings;
import dev.muster.config.SettingsException;
import java.time.Duration;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/** The {@code muster.budget.*} settings (reference.conf of swarm-runtime), checked on load. */
public record BudgetSettings(
    int ledgerInState,
    int rememberSettledKeys,
    int snapshotEvery,
    int keepSnapshots,
    Duration persistFailureMinBackoff,
    Duration persistFailureMaxBackoff,
    double persistFailureRandomFactor) {

  public static BudgetSettings from(Config config) {
    if (!config.hasPath("muster.budget")) {
      throw new SettingsException("budget", "missing (is swarm-runtime on the classpath?)");
    }
    Config muster = config.getConfig("muster");
    Duration min = Settings.positiveDuration(muster, "budget.persist-failure.min-backoff");
    Duration max = Settings.positiveDuration(muster, "budget.persist-failure.max-backoff");
    if (max.compareTo(min) < 0) {
      throw new SettingsException(
          "budget.persist-failure.max-backoff", "must not be shorter than min-backoff");
    }
    double factor =
        Settings.read(muster, "budget.persist-failure.random-factor", muster::getDouble);
    if (factor < 0 || factor > 1) {
      throw new SettingsException(
          "budget.persist-failure.random-factor", "must be between 0 and 1, got " + factor);
    }
    return new BudgetSettings(
        Settings.positiveInt(muster, "budget.ledger-in-state"),
        Settings.positiveInt(muster, "budget.remember-settled-keys"),
        Settings.positiveInt(muster, "budget.snapshot-every"),
        Settings.positiveInt(muster, "budget.keep-snapshots"),
        min,
        max,
        factor);
  }

  public RetentionCriteria retention() {
    return RetentionCriteria.snapshotEvery(snapshotEvery, keepSnapshots);
  }

  public BackoffSupervisorStrategy persistFailure() {
    return SupervisorStrategy.restartWithBackoff(
        persistFailureMinBackoff, persistFailureMaxBackoff, persistFailureRandomFactor);
  }
}
