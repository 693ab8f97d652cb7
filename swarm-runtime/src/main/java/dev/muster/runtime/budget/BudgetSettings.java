package dev.muster.runtime.budget;

import com.typesafe.config.Config;
import dev.muster.config.Settings;
import dev.muster.config.SettingsException;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/** The {@code muster.budget.*} settings (reference.conf of swarm-runtime), checked on load. */
public record BudgetSettings(
    int ledgerInState,
    int rememberSettledKeys,
    int snapshotEvery,
    int keepSnapshots,
    BackoffSupervisorStrategy persistFailure) {

  public static BudgetSettings from(Config config) {
    if (!config.hasPath("muster.budget")) {
      throw new SettingsException("budget", "missing (is swarm-runtime on the classpath?)");
    }
    Config muster = config.getConfig("muster");
    return new BudgetSettings(
        Settings.positiveInt(muster, "budget.ledger-in-state"),
        Settings.positiveInt(muster, "budget.remember-settled-keys"),
        Settings.positiveInt(muster, "budget.snapshot-every"),
        Settings.positiveInt(muster, "budget.keep-snapshots"),
        Settings.restartWithBackoff(muster, "budget.persist-failure."));
  }

  public RetentionCriteria retention() {
    return RetentionCriteria.snapshotEvery(snapshotEvery, keepSnapshots);
  }
}
