package dev.muster.api.cluster;

import dev.muster.api.TestAuth;
import dev.muster.testing.TestDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A Muster node in its own JVM ({@code java -cp <this JVM's classpath> dev.muster.api.Main}),
 * configured only by MUSTER_* environment variables, its output in a log file under target/. Every
 * child is also killed by a JVM shutdown hook, so none outlives the test run.
 */
final class NodeProcess implements AutoCloseable {
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "kill-nodes"));
  }

  private final String name;
  private final Process process;
  private final Path log;
  private final int clusterPort;
  private final int httpPort;

  private NodeProcess(String name, Process process, Path log, int clusterPort, int httpPort) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.clusterPort = clusterPort;
    this.httpPort = httpPort;
  }

  /** Starts a node on free ports that joins {@code seedPort} (its own port for the first node). */
  static NodeProcess start(
      String name, TestDatabase database, int clusterPort, int seedPort, Path logDir) {
    int httpPort = ClusterNodes.freePort();
    Map<String, String> env = new java.util.HashMap<>();
    env.put("MUSTER_CLUSTER_HOST", "127.0.0.1");
    env.put("MUSTER_CLUSTER_PORT", Integer.toString(clusterPort));
    env.put("MUSTER_SEED_NODES", "127.0.0.1:" + seedPort);
    env.put("MUSTER_HTTP_HOST", "127.0.0.1");
    env.put("MUSTER_HTTP_PORT", Integer.toString(httpPort));
    var db = database.config();
    env.put("MUSTER_DB_URL", db.getString("muster.db.url"));
    env.put("MUSTER_DB_USER", db.getString("muster.db.user"));
    env.put("MUSTER_DB_SCHEMA", db.getString("muster.db.schema"));
    env.put("MUSTER_DATA_DIR", logDir.resolve(name + "-data").toString());
    env.put("MUSTER_AUTH_KEYS_FILE", TestAuth.keysFile().toString());

    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    command.add("-XX:+UseSerialGC");
    // The production logging (cluster membership at INFO), not the test classpath's quieter one.
    command.add("-Dlogback.configurationFile=logback.xml");
    ClusterNodes.REGISTRY_FOR_TESTS.forEach((key, value) -> command.add("-D" + key + "=" + value));
    command.add("-cp");
    command.add(classPath());
    command.add("dev.muster.api.Main");
    try {
      Files.createDirectories(logDir);
      Path log = logDir.resolve(name + ".log");
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
      builder.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      builder.environment().putAll(env);
      Process process = builder.start();
      LIVE.add(process);
      return new NodeProcess(name, process, log, clusterPort, httpPort);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Surefire's test classpath when run by Maven (java.class.path is then a booter jar). */
  private static String classPath() {
    String surefire = System.getProperty("surefire.test.class.path");
    return surefire != null && !surefire.isBlank()
        ? surefire
        : System.getProperty("java.class.path");
  }

  String name() {
    return name;
  }

  InetSocketAddress http() {
    return new InetSocketAddress("127.0.0.1", httpPort);
  }

  int clusterPort() {
    return clusterPort;
  }

  Path log() {
    return log;
  }

  /** The node's log so far (for assertions and for failure messages). */
  String logText() {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  /** The last lines of the log, for a failure message. */
  String logTail() {
    String text = logText();
    return name + " (" + log + "):\n" + text.substring(Math.max(0, text.length() - 3000));
  }

  boolean alive() {
    return process.isAlive();
  }

  /** kill -9: no shutdown, no leaving the cluster. */
  void kill() {
    process.destroyForcibly();
    await();
  }

  /** SIGTERM, without waiting: CoordinatedShutdown hands the shards off and leaves the cluster. */
  void sendTerminate() {
    process.destroy();
  }

  /** Waits for the process to end (killing it when it takes longer than a minute). */
  int awaitExit() {
    return await();
  }

  private int await() {
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
      LIVE.remove(process);
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
    LIVE.remove(process);
  }
}
