package dev.muster.api.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.muster.api.MusterApplication;
import dev.muster.testing.Eventually;
import dev.muster.testing.TestDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

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

  /**
   * Starts {@code count} nodes of an in-JVM cluster into {@code nodes} (so that the caller closes
   * whatever started, also when a later node fails to), and waits until every node sees all of them
   * up.
   */
  static void startInJvm(
      TestDatabase database, int count, List<MusterApplication> nodes, Duration within) {
    int seed = freePort();
    nodes.add(MusterApplication.start(inJvmNode(database, seed, seed)));
    for (int i = 1; i < count; i++) {
      nodes.add(MusterApplication.start(inJvmNode(database, freePort(), seed)));
    }
    Eventually.assertWithin(
        within, () -> nodes.forEach(node -> assertEquals(count, upMembers(node), "members up")));
  }

  private static long upMembers(MusterApplication node) {
    long up = 0;
    for (var member : Cluster.get(node.system()).state().getMembers()) {
      if (member.status() == MemberStatus.up()) {
        up++;
      }
    }
    return up;
  }

  /** Closes the nodes of an in-JVM cluster, the last started first. */
  static void close(List<MusterApplication> nodes) {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).close();
    }
  }
}
