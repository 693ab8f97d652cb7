package dev.muster.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Muster node as a child process ({@code java -jar muster-node.jar}), so its CPU and heap are
 * measured from outside and apart from the load generator's: CPU from /proc/&lt;pid&gt;/stat, heap
 * through {@code jcmd GC.heap_info}, resident memory from /proc/&lt;pid&gt;/status.
 */
final class NodeProcess implements AutoCloseable {
  /** Clock ticks per second of /proc/&lt;pid&gt;/stat (USER_HZ, 100 on Linux). */
  private static final double TICKS_PER_SECOND = 100.0;

  private static final Pattern HEAP_USED =
      Pattern.compile("heap\\s+total\\s+(\\d+)K,\\s+used\\s+(\\d+)K");

  static final String LIVENESS_WINDOW = "1h";

  private final Process process;
  final int httpPort;
  final Path log;
  final Duration startTime;
  private final Optional<String> operatorToken;

  private NodeProcess(
      Process process, int httpPort, Path log, Duration startTime, Optional<String> operatorToken) {
    this.operatorToken = operatorToken;
    this.process = process;
    this.httpPort = httpPort;
    this.log = log;
    this.startTime = startTime;
  }

  /**
   * Starts a node on {@code db} and waits until /health/ready answers 200; the start time is from
   * the process launch to the first ready answer.
   */
  static NodeProcess start(Path jar, Database db, List<String> jvmOptions, Duration readyWithin) {
    int http = freePort();
    int cluster = freePort();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // Workers registered over HTTP stay selectable for the whole run even where the build has no
    // heartbeat route (the workers heartbeat when it has one). Later options may override this.
    command.add("-Dmuster.registry.liveness-window=" + LIVENESS_WINDOW);
    command.addAll(jvmOptions);
    command.add("-jar");
    command.add(jar.toString());
    try {
      Path log = Files.createTempFile("muster-bench-node-", ".log");
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      builder.environment().putAll(db.nodeEnv());
      builder.environment().put("MUSTER_HTTP_PORT", Integer.toString(http));
      builder.environment().put("MUSTER_CLUSTER_PORT", Integer.toString(cluster));
      long launched = System.nanoTime();
      Process process = builder.start();
      // A benchmark stopped with Ctrl-C or a kill takes its node with it.
      Runtime.getRuntime().addShutdownHook(new Thread(process::destroy));
      try (Http client =
          new Http("http://127.0.0.1:" + http, Optional.empty(), 1, Duration.ofSeconds(2))) {
        long deadline = launched + readyWithin.toNanos();
        while (true) {
          if (!process.isAlive()) {
            throw new IllegalStateException(
                "the node exited with " + process.exitValue() + "; its log: " + log);
          }
          try {
            if (client.await(client.get("/health/ready")).status() == 200) {
              break;
            }
          } catch (RuntimeException notYet) {
            // not listening yet
          }
          if (System.nanoTime() > deadline) {
            process.destroyForcibly();
            throw new IllegalStateException(
                "the node was not ready within " + readyWithin + "; its log: " + log);
          }
          Thread.sleep(20);
        }
      }
      // A build with tokens wrote its first operator's token to the data directory at its first
      // start (restarts on the same data directory keep it); a build before tokens wrote none.
      Path tokenFile = Path.of(db.nodeEnv().get("MUSTER_DATA_DIR"), "operator.token");
      Optional<String> token =
          Files.exists(tokenFile)
              ? Optional.of(Files.readString(tokenFile).trim())
              : Optional.empty();
      return new NodeProcess(
          process, http, log, Duration.ofNanos(System.nanoTime() - launched), token);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The first operator's token of the node's data directory, when its build has tokens. */
  Optional<String> operatorToken() {
    return operatorToken;
  }

  String baseUrl() {
    return "http://127.0.0.1:" + httpPort;
  }

  long pid() {
    return process.pid();
  }

  /** CPU seconds (user + system) the node has used so far. */
  double cpuSeconds() {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid()), "stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // After "pid (comm) ", field 3 (state) is index 0: utime is field 14, stime field 15.
      return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS_PER_SECOND;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Resident memory of the node process in MiB. */
  double rssMib() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
      return -1;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Heap used in MiB as the JVM reports it now (after a full GC when {@code collect}). */
  double heapUsedMib(boolean collect) {
    if (collect) {
      jcmd("GC.run");
    }
    Matcher m = HEAP_USED.matcher(jcmd("GC.heap_info"));
    return m.find() ? Long.parseLong(m.group(2)) / 1024.0 : -1;
  }

  /** Runs a jcmd diagnostic command against the node and returns its output. */
  String jcmd(String... arguments) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
    command.add(Long.toString(pid()));
    command.addAll(List.of(arguments));
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      p.waitFor(60, TimeUnit.SECONDS);
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** SIGTERM (coordinated shutdown), then a kill after a grace period. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
