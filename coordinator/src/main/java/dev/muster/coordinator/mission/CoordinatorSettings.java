package dev.muster.coordinator.mission;

import com.typesafe.config.Config;
import dev.muster.config.Settings;
import java.time.Duration;

/** The coordinator's settings ({@code muster.coordinator.*}). */
public record CoordinatorSettings(
    Duration dispatchRetryInterval, Duration offerRetryInterval, int snapshotEvery) {

  public static CoordinatorSettings from(Config config) {
    Config muster = config.getConfig("muster");
    return new CoordinatorSettings(
        Settings.positiveDuration(muster, "coordinator.dispatch-retry-interval"),
        Settings.positiveDuration(muster, "coordinator.offer-retry-interval"),
        Settings.positiveInt(muster, "coordinator.snapshot-every"));
  }
}
