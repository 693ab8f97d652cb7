package dev.muster.coordinator.mission;

import com.typesafe.config.Config;
import dev.muster.config.Settings;
import dev.muster.config.SettingsException;
import dev.muster.coordinator.model.MissionSpec.RetryPolicy;
import dev.muster.coordinator.model.MissionSpec.Timeouts;
import java.time.Duration;
import java.util.Set;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;

/** The coordinator's settings ({@code muster.coordinator.*}), including a mission's defaults. */
public record CoordinatorSettings(
    Duration offerRetryInterval,
    Duration peerTimeout,
    Duration acceptTimeout,
    String escalationTarget,
    RetryPolicy defaultRetryPolicy,
    Timeouts defaultTimeouts,
    BackoffSupervisorStrategy persistFailure) {

  public static CoordinatorSettings from(Config config) {
    Config muster = config.getConfig("muster");
    int maxAttempts = Settings.positiveInt(muster, "coordinator.defaults.retry.max-attempts");
    Duration initial =
        Settings.positiveDuration(muster, "coordinator.defaults.retry.initial-backoff");
    double multiplier =
        Settings.read(muster, "coordinator.defaults.retry.multiplier", muster::getDouble);
    if (multiplier < 1) {
      throw new SettingsException(
          "coordinator.defaults.retry.multiplier", "must be at least 1, got " + multiplier);
    }
    Duration max = Settings.positiveDuration(muster, "coordinator.defaults.retry.max-backoff");
    String target = Settings.string(muster, "coordinator.escalation-target");
    if (target.isEmpty()) {
      throw new SettingsException("coordinator.escalation-target", "must not be empty");
    }
    return new CoordinatorSettings(
        Settings.positiveDuration(muster, "coordinator.offer-retry-interval"),
        Settings.positiveDuration(muster, "coordinator.peer-timeout"),
        Settings.positiveDuration(muster, "coordinator.accept-timeout"),
        target,
        new RetryPolicy(maxAttempts, initial.toMillis(), multiplier, max.toMillis(), Set.of()),
        new Timeouts(
            Settings.positiveDuration(muster, "coordinator.defaults.schedule-to-start").toMillis(),
            Settings.positiveDuration(muster, "coordinator.defaults.start-to-close").toMillis(),
            Settings.positiveDuration(muster, "coordinator.defaults.heartbeat").toMillis()),
        Settings.restartWithBackoff(muster, "coordinator.persist-failure."));
  }
}
