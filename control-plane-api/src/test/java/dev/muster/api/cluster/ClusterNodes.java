package dev.muster.api.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.muster.testing.TestDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;
import java.util.Set;

/** Free loopback ports and the configuration of cluster nodes for tests. */
final class ClusterNodes {
  /** Missions end in one of these. */
  static final Set<String> FINAL_STATES = Set.of("succeeded", "failed", "stood_down", "cancelled");

  /**
   * Test workers do not heartbeat (there is no heartbeat route yet), so participants must not go
   * offline during a test.
   */
  static final Map<String, String> REGISTRY_FOR_TESTS =
      Map.of(
          "muster.registry.liveness-window", "10m",
          "muster.registry.heartbeat-record-interval", "1m");

  private ClusterNodes() {}

  /** A port that was free a moment ago (bound and released), on the loopback address. */
  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A node of an in-JVM cluster: HTTP on a free port, the cluster on {@code clusterPort}, joining
   * the seed node on {@code seedPort}. The failure detector is lenient: these tests are about
   * routing, not failover, and the build machine is busy.
   */
  static Config inJvmNode(TestDatabase database, int clusterPort, int seedPort) {
    return ConfigFactory.parseMap(
            Map.of(
                "muster.http.host", "127.0.0.1",
                "muster.http.port", 0,
                "muster.cluster.host", "127.0.0.1",
                "muster.cluster.port", clusterPort,
                "muster.cluster.seed-nodes", "127.0.0.1:" + seedPort,
                "muster.cluster.failure-detector.acceptable-heartbeat-pause", "10s",
                "muster.cluster.split-brain-resolver.stable-after", "10s"))
        .withFallback(ConfigFactory.parseMap(REGISTRY_FOR_TESTS))
        .withFallback(database.config())
        .withFallback(ConfigFactory.load())
        .resolve();
  }
}
