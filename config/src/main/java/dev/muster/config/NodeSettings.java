package dev.muster.config;

import com.typesafe.config.Config;
import dev.muster.config.persistence.DatabaseSettings;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/** The settings every node needs before anything else starts: its files, database and address. */
public record NodeSettings(Path dataDir, DatabaseSettings database, ClusterSettings cluster) {

  public static NodeSettings from(Config config) {
    Config muster = config.getConfig("muster");
    Path dataDir = dataDir(Settings.string(muster, "data-dir"));
    return new NodeSettings(
        dataDir, DatabaseSettings.from(muster, dataDir), ClusterSettings.from(muster));
  }

  private static Path dataDir(String text) {
    if (text.isEmpty()) {
      throw new SettingsException("data-dir", "must not be empty");
    }
    try {
      return Path.of(text).toAbsolutePath().normalize();
    } catch (InvalidPathException e) {
      throw new SettingsException("data-dir", "not a path: " + e.getMessage());
    }
  }
}
