package dev.muster.coordinator.directory;

import com.typesafe.config.Config;
import dev.muster.config.Settings;
import dev.muster.config.readside.JournalFollower;
import org.apache.pekko.stream.RestartSettings;

/** How the mission directory follows the journal ({@code muster.coordinator.directory.*}). */
record DirectorySettings(JournalFollower.Settings follower) {

  static DirectorySettings from(Config config) {
    Config muster = config.getConfig("muster");
    String p = "coordinator.directory.";
    return new DirectorySettings(
        new JournalFollower.Settings(
            Settings.string(muster, p + "read-journal"),
            Settings.positiveInt(muster, p + "batch-size"),
            Settings.positiveDuration(muster, p + "batch-window"),
            RestartSettings.create(
                Settings.positiveDuration(muster, p + "restart-min-backoff"),
                Settings.positiveDuration(muster, p + "restart-max-backoff"),
                0.2)));
  }
}
