package dev.muster.coordinator.directory;

import com.typesafe.config.Config;
import dev.muster.config.readside.JournalFollower;

/** How the mission directory follows the journal ({@code muster.coordinator.directory.*}). */
record DirectorySettings(JournalFollower.Settings follower) {

  static DirectorySettings from(Config config) {
    Config muster = config.getConfig("muster");
    return new DirectorySettings(JournalFollower.Settings.from(muster, "coordinator.directory."));
  }
}
