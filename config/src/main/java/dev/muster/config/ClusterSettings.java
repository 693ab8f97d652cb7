package dev.muster.config;

import com.typesafe.config.Config;
import java.util.Arrays;
import java.util.List;

/** Where this node's cluster transport listens and which seed nodes it joins. */
public record ClusterSettings(String host, int port, List<HostPort> seedNodes) {

  /** A seed node's address. */
  public record HostPort(String host, int port) {}

  public static ClusterSettings from(Config muster) {
    String host = Settings.string(muster, "cluster.host");
    if (host.isEmpty()) {
      throw new SettingsException("cluster.host", "must not be empty");
    }
    int port = Settings.port(muster, "cluster.port");
    return new ClusterSettings(
        host, port, parseSeeds(Settings.string(muster, "cluster.seed-nodes")));
  }

  /** Parses {@code host:port,host:port} as MUSTER_SEED_NODES gives it. */
  static List<HostPort> parseSeeds(String text) {
    if (text.isBlank()) {
      return List.of();
    }
    return Arrays.stream(text.split(","))
        .map(String::trim)
        .map(ClusterSettings::parseSeed)
        .toList();
  }

  private static HostPort parseSeed(String seed) {
    int colon = seed.lastIndexOf(':');
    if (colon <= 0 || colon == seed.length() - 1) {
      throw new SettingsException(
          "cluster.seed-nodes", "each seed node is host:port, got '" + seed + "'");
    }
    try {
      int port = Integer.parseInt(seed.substring(colon + 1));
      if (port <= 0 || port > 65535) {
        throw new NumberFormatException();
      }
      return new HostPort(seed.substring(0, colon), port);
    } catch (NumberFormatException e) {
      throw new SettingsException(
          "cluster.seed-nodes", "'" + seed + "' does not end in a port between 1 and 65535");
    }
  }

  /** True when no seed nodes are given: the node joins itself and forms a cluster of one. */
  public boolean selfJoin() {
    return seedNodes.isEmpty();
  }
}
