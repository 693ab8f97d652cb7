package dev.muster.api.cluster;

import dev.muster.api.ApiClient;
import dev.muster.testing.Eventually;
import dev.muster.testing.TestDatabase;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * Muster nodes as child JVM processes on one PostgreSQL schema; the first node is the seed. Closing
 * kills every child that is still running.
 */
final class ChildCluster implements AutoCloseable {
  private static final Duration NODE_READY = Duration.ofSeconds(120);

  private final TestDatabase database;
  private final Path logDir;
  private final List<NodeProcess> nodes = new ArrayList<>();
  private int seedPort;

  ChildCluster(TestDatabase database, String testName) {
    this.database = database;
    this.logDir =
        Path.of(
            "target",
            "cluster-logs",
            testName
                + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
  }

  /** Starts {@code count} nodes (the seed first, then the rest together) and waits until ready. */
  List<NodeProcess> start(int count, String prefix) {
    List<NodeProcess> started = new ArrayList<>();
    int first = 0;
    if (nodes.isEmpty() || nodes.stream().noneMatch(NodeProcess::alive)) {
      seedPort = ClusterNodes.freePort();
      NodeProcess seed = NodeProcess.start(prefix + "-1", database, seedPort, seedPort, logDir);
      nodes.add(seed);
      started.add(seed);
      awaitReady(seed);
      first = 1;
    }
    for (int i = first; i < count; i++) {
      NodeProcess node =
          NodeProcess.start(
              prefix + "-" + (i + 1), database, ClusterNodes.freePort(), seedPort, logDir);
      nodes.add(node);
      started.add(node);
    }
    started.forEach(this::awaitReady);
    return started;
  }

  /** Waits until the node answers {@code /health/ready} 200 (member Up, journal answering). */
  void awaitReady(NodeProcess node) {
    ApiClient api = new ApiClient(node.http());
    try {
      Eventually.assertWithin(
          NODE_READY,
          () -> {
            if (!node.alive()) {
              throw new IllegalStateException(node.name() + " exited");
            }
            if (api.get("/health/ready").status() != 200) {
              throw new AssertionError(node.name() + " not ready");
            }
          });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n" + node.logTail(), e);
    }
  }

  List<InetSocketAddress> httpAddresses() {
    return nodes.stream().filter(NodeProcess::alive).map(NodeProcess::http).toList();
  }

  Path logDir() {
    return logDir;
  }

  /** The last lines of every node's log, for a failure message. */
  String logTails() {
    StringBuilder text = new StringBuilder();
    nodes.forEach(node -> text.append(node.logTail()).append('\n'));
    return text.toString();
  }

  /** kill -9 every node. */
  void killAll() {
    nodes.forEach(NodeProcess::close);
  }

  @Override
  public void close() {
    killAll();
  }
}
