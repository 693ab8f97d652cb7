package dev.muster.api;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.muster.testing.TestDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;

/** Starts real Muster nodes for tests: loopback, free ports, the given database. */
public final class TestNodes {
  private TestNodes() {}

  /** A single node (it joins itself) on free ports, with the database's settings. */
  public static Config singleNode(TestDatabase database) {
    return singleNode(database, 0, Map.of());
  }

  /**
   * A single node whose HTTP port stays the same across restarts (workers keep their address), with
   * extra settings.
   */
  public static Config restartable(TestDatabase database, Map<String, Object> extra) {
    return singleNode(database, freePort(), extra);
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Config singleNode(TestDatabase database, int httpPort, Map<String, Object> extra) {
    return ConfigFactory.parseMap(extra)
        .withFallback(
            ConfigFactory.parseMap(
                Map.of(
                    "muster.http.host",
                    "127.0.0.1",
                    "muster.http.port",
                    httpPort,
                    "muster.cluster.host",
                    "127.0.0.1",
                    "muster.cluster.port",
                    0,
                    "muster.cluster.seed-nodes",
                    "")))
        .withFallback(database.config())
        .withFallback(ConfigFactory.load())
        .resolve();
  }
}
