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
    NodeSettings node =
        new NodeSettings(
            dataDir, DatabaseSettings.from(muster, dataDir), ClusterSettings.from(muster));
    node.refuseClusterOnEmbeddedDatabase();
    return node;
  }

  /**
   * H2 in file mode belongs to one process: a second node on the same file would hang and then
   * fail. A node that is told to join others must use PostgreSQL.
   */
  private void refuseClusterOnEmbeddedDatabase() {
    boolean onlySelf =
        cluster.seedNodes().stream()
            .allMatch(seed -> seed.host().equals(cluster.host()) && seed.port() == cluster.port());
    if (database.embedded() && !onlySelf) {
      throw new SettingsException(
          "cluster.seed-nodes",
          "the embedded H2 database is single-node only; a node that joins "
              + cluster.seedNodes()
              + " needs PostgreSQL (set MUSTER_DB_URL to a jdbc:postgresql: URL)");
    }
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
