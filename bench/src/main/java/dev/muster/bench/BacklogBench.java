package dev.muster.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The backlog's figures (issue 12): more work than workers.
 *
 * <p><b>Hand-over</b>: a backlog is submitted first, then workers of {@code
 * max_concurrent_attempts} 1 register and loop the way a plain worker does: poll ({@code max=1}),
 * ack, complete, poll again. The hand-over latency is from the worker's {@code complete} being
 * acknowledged (the completion is durable) to the next offer arriving in the poll that follows;
 * also recorded from the moment the {@code complete} was sent. The first missions warm the node up;
 * the figures are taken over the rest. A poll that comes back empty while missions still wait is
 * counted: an idle-while-waiting moment.
 *
 * <p><b>Waiting</b>: a node with idle workers that poll but can take none of the missions; its CPU
 * over a window; then many missions that only wait (nobody capable, {@code schedule_to_start} of
 * seven days), and after they passivate the node's CPU over the same window and its heap per
 * waiting mission; then capable workers register and drain them all: missions/s and node CPU per
 * mission while draining.
 */
final class BacklogBench {
  static final String WORKSPACE = "bench";

  record Options(
      int handoverBacklog,
      int handoverWarmup,
      int handoverWorkers,
      int waitingMissions,
      int idleWorkers,
      int drainWorkers,
      int drainCapacity,
      int submitConcurrency,
      Duration cpuWindow,
      Duration passivateIdleAfter,
      List<String> nodeJvmOptions) {}

  /** How long a mission may wait for a capable participant: the API's longest, seven days. */
  private static final long LONGEST_WAIT_MS = 7L * 24 * 3600 * 1000;

  private static final Duration POLL_WAIT = Duration.ofSeconds(5);

  /** The longest a drain may take before the run fails. */
  private static final Duration DRAIN_WITHIN = Duration.ofMinutes(60);

  // ---- hand-over

  static Map<String, Object> handover(Path jar, Database db, Options o) throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    try (NodeProcess node = NodeProcess.start(jar, db, o.nodeJvmOptions(), Duration.ofMinutes(2));
        Http http = new Http(node, 2 + o.handoverWorkers(), POLL_WAIT.plusSeconds(25))) {
      long t0 = System.nanoTime();
      int total = o.handoverWarmup() + o.handoverBacklog();
      int submitted = submit(http, "handover", total, o.submitConcurrency(), 0);
      out.put("backlog", submitted);
      out.put("warmup", o.handoverWarmup());
      out.put("submit_s", EndToEnd.round((System.nanoTime() - t0) / 1e9));
      Handovers run = new Handovers(node, submitted, o.handoverWarmup());
      List<Thread> workers = new ArrayList<>();
      for (int w = 0; w < o.handoverWorkers(); w++) {
        String id = register(http, "handover", 1);
        Thread t = new Thread(() -> serialWorker(http, id, run), "bench-serial-" + w);
        t.start();
        workers.add(t);
      }
      for (Thread t : workers) {
        t.join();
      }
      double seconds = (System.nanoTime() - run.measuredFrom) / 1e9;
      double cpu = node.cpuSeconds() - run.cpuFrom;
      long measured = run.completed.sum() - o.handoverWarmup();
      out.put("workers", o.handoverWorkers());
      out.put("completed", run.completed.sum());
      out.put("handover", run.afterAck.summary());
      out.put("handover_from_complete_sent", run.afterSend.summary());
      out.put("idle_polls_while_waiting", run.idleWhileWaiting.sum());
      out.put("errors", run.errors.sum());
      out.put("drain_missions_per_s", EndToEnd.round(measured / seconds));
      out.put("node_cpu_ms_per_mission", EndToEnd.round(cpu * 1000 / measured));
      out.put("still_waiting", waiting(http));
      out.put("escalated", escalated(http));
    }
    return out;
  }

  /**
   * One hand-over run: the first {@code warmup} completions warm the node up; from then on the
   * latencies are recorded and the node's CPU and the clock are counted.
   */
  private static final class Handovers {
    final NodeProcess node;
    final int total;
    final int warmup;
    final LongAdder completed = new LongAdder();
    final LongAdder idleWhileWaiting = new LongAdder();
    final LongAdder errors = new LongAdder();
    final Latency afterAck = new Latency();
    final Latency afterSend = new Latency();
    volatile long measuredFrom;
    volatile double cpuFrom;
    private final AtomicBoolean measuring = new AtomicBoolean();

    Handovers(NodeProcess node, int total, int warmup) {
      this.node = node;
      this.total = total;
      this.warmup = warmup;
      if (warmup == 0) {
        startMeasuring();
      }
    }

    void completedOne() {
      completed.increment();
      if (completed.sum() >= warmup) {
        startMeasuring();
      }
    }

    boolean measuring() {
      return measuring.get();
    }

    private void startMeasuring() {
      if (measuring.compareAndSet(false, true)) {
        cpuFrom = node.cpuSeconds();
        measuredFrom = System.nanoTime();
      }
    }
  }

  /**
   * One worker of capacity 1: poll one message, ack it, complete the attempt, poll again, until
   * every mission of the backlog is completed. The first offer is not a hand-over (the worker was
   * not holding anything before it).
   */
  private static void serialWorker(Http http, String participant, Handovers run) {
    String inbox = "/api/v1/participants/" + participant + "/inbox";
    String poll = inbox + "?wait=" + POLL_WAIT.toSeconds() + "s&max=1";
    long sent = -1;
    long acknowledged = -1;
    long deadline = System.nanoTime() + DRAIN_WITHIN.toNanos();
    while (run.completed.sum() < run.total) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            participant + " gave up: " + run.completed.sum() + " of " + run.total + " completed");
      }
      Http.Response r = http.await(http.get(poll, POLL_WAIT.plusSeconds(25)));
      long received = System.nanoTime();
      if (!r.ok()) {
        run.errors.increment();
        continue;
      }
      JsonNode messages = r.body().path("messages");
      if (messages.isEmpty()) {
        if (run.completed.sum() < run.total - 1) {
          run.idleWhileWaiting.increment();
        }
        continue;
      }
      JsonNode m = messages.get(0);
      String messageId = m.path("message_id").asText();
      if (!http.await(http.post(inbox + "/" + messageId + "/ack", Map.of())).ok()) {
        run.errors.increment();
      }
      if (!"task_offer".equals(m.path("type").asText())) {
        continue;
      }
      if (acknowledged >= 0 && run.measuring()) {
        run.afterAck.recordNanos(received - acknowledged);
        run.afterSend.recordNanos(received - sent);
      }
      sent = System.nanoTime();
      Http.Response done =
          http.await(
              http.post(
                  "/api/v1/missions/"
                      + m.path("mission_id").asText()
                      + "/attempts/"
                      + m.path("attempt").asInt()
                      + "/complete",
                  Map.of("result", Map.of("ok", true))));
      acknowledged = System.nanoTime();
      if (done.ok()) {
        run.completedOne();
      } else {
        run.errors.increment();
        acknowledged = -1;
      }
    }
  }

  // ---- many waiting missions, then a drain

  static Map<String, Object> waiting(Path jar, Database db, Options o) throws Exception {
    List<String> jvm = new ArrayList<>(o.nodeJvmOptions());
    jvm.add("-Dmuster.cluster.passivate-idle-after=" + o.passivateIdleAfter().toSeconds() + "s");
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("passivate_idle_after_s", o.passivateIdleAfter().toSeconds());
    AtomicBoolean running = new AtomicBoolean(true);
    try (NodeProcess node = NodeProcess.start(jar, db, jvm, Duration.ofMinutes(2));
        Http http =
            new Http(node, 4 + o.idleWorkers() + o.drainWorkers(), POLL_WAIT.plusSeconds(25))) {
      List<Thread> idle = new ArrayList<>();
      for (int w = 0; w < o.idleWorkers(); w++) {
        String id = register(http, "something-else", 10);
        Thread t = new Thread(() -> idlePoller(http, id, running), "bench-idle-" + w);
        t.start();
        idle.add(t);
      }
      // The node's own floor: started, idle workers polling, nothing to do.
      Thread.sleep(o.passivateIdleAfter().toMillis());
      out.put("idle_heap_after_gc_mib", EndToEnd.round(node.heapUsedMib(true)));
      double idleCpu = cpuCores(node, o.cpuWindow());
      out.put("idle_cpu_cores", idleCpu);

      long t0 = System.nanoTime();
      int submitted =
          submit(http, "drain", o.waitingMissions(), o.submitConcurrency(), LONGEST_WAIT_MS);
      out.put("waiting_missions", submitted);
      out.put("submit_s", EndToEnd.round((System.nanoTime() - t0) / 1e9));
      out.put("submit_per_s", EndToEnd.round(submitted / ((System.nanoTime() - t0) / 1e9)));
      // Every Mission entity passivates; what stays is the backlog and the read side.
      Thread.sleep(o.passivateIdleAfter().plusSeconds(15).toMillis());
      double heapWaiting = node.heapUsedMib(true);
      out.put("waiting_heap_after_gc_mib", EndToEnd.round(heapWaiting));
      out.put("waiting_rss_mib", EndToEnd.round(node.rssMib()));
      out.put("backlog_depth", waiting(http));
      double waitingCpu = cpuCores(node, o.cpuWindow());
      out.put("waiting_cpu_cores", waitingCpu);
      out.put("waiting_minus_idle_cpu_cores", EndToEnd.round(waitingCpu - idleCpu));
      double idleHeap = ((Number) out.get("idle_heap_after_gc_mib")).doubleValue();
      out.put(
          "heap_bytes_per_waiting_mission",
          Math.round((heapWaiting - idleHeap) * 1024 * 1024 / Math.max(1, submitted)));

      LongAdder completed = new LongAdder();
      Map<String, LongAdder> errors = new ConcurrentHashMap<>();
      double cpu0 = node.cpuSeconds();
      long start = System.nanoTime();
      List<Thread> drainers = new ArrayList<>();
      for (int w = 0; w < o.drainWorkers(); w++) {
        String id = register(http, "drain", o.drainCapacity());
        Thread t =
            new Thread(() -> drainer(http, id, running, completed, errors), "bench-drain-" + w);
        t.start();
        drainers.add(t);
      }
      long deadline = start + DRAIN_WITHIN.toNanos();
      while (completed.sum() < submitted && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      double cpu = node.cpuSeconds() - cpu0;
      running.set(false);
      for (Thread t : drainers) {
        t.join();
      }
      for (Thread t : idle) {
        t.join();
      }
      out.put("drain_workers", o.drainWorkers());
      out.put("drain_capacity", o.drainCapacity());
      out.put("drained", completed.sum());
      out.put("drain_s", EndToEnd.round(seconds));
      out.put("drain_missions_per_s", EndToEnd.round(completed.sum() / seconds));
      out.put(
          "drain_node_cpu_ms_per_mission",
          EndToEnd.round(cpu * 1000 / Math.max(1, completed.sum())));
      out.put("drain_errors", errors.values().stream().mapToLong(LongAdder::sum).sum());
      errors.forEach((kind, n) -> out.put("drain_error " + kind, n.sum()));
      out.put("still_waiting", waiting(http));
      out.put("escalated", escalated(http));
      out.put("journal_rows", EndToEnd.rows(db));
    } finally {
      running.set(false);
    }
    return out;
  }

  private static double cpuCores(NodeProcess node, Duration window) throws InterruptedException {
    double cpu0 = node.cpuSeconds();
    long t0 = System.nanoTime();
    Thread.sleep(window.toMillis());
    return EndToEnd.round((node.cpuSeconds() - cpu0) / ((System.nanoTime() - t0) / 1e9));
  }

  /** A worker that polls and is never offered anything (nothing it can take is submitted). */
  private static void idlePoller(Http http, String participant, AtomicBoolean running) {
    String poll = "/api/v1/participants/" + participant + "/inbox?wait=5s&max=10";
    while (running.get()) {
      http.await(http.get(poll, POLL_WAIT.plusSeconds(25)));
    }
  }

  /** A worker with room for many: acks and completes every offer of a poll without waiting. */
  private static void drainer(
      Http http,
      String participant,
      AtomicBoolean running,
      LongAdder completed,
      Map<String, LongAdder> errors) {
    String inbox = "/api/v1/participants/" + participant + "/inbox";
    String poll = inbox + "?wait=1s&max=100";
    while (running.get()) {
      Http.Response r;
      try {
        r = http.await(http.get(poll, POLL_WAIT.plusSeconds(25)));
      } catch (RuntimeException e) {
        count(errors, "poll " + e.getClass().getSimpleName());
        continue;
      }
      for (JsonNode m : r.body().path("messages")) {
        String ack = inbox + "/" + m.path("message_id").asText() + "/ack";
        CompletableFuture<Http.Response> acked = http.post(ack, Map.of());
        if (!"task_offer".equals(m.path("type").asText())) {
          continue;
        }
        String complete =
            "/api/v1/missions/"
                + m.path("mission_id").asText()
                + "/attempts/"
                + m.path("attempt").asInt()
                + "/complete";
        acked
            .thenCompose(
                a -> {
                  if (!a.ok()) {
                    count(errors, "ack " + a.status() + " " + a.body().path("error").path("code"));
                  }
                  return http.post(complete, Map.of("result", Map.of("ok", true)));
                })
            .whenComplete(
                (done, failure) -> {
                  if (failure != null) {
                    Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
                    count(errors, "complete " + cause.getClass().getSimpleName());
                  } else if (!done.ok()) {
                    count(
                        errors,
                        "complete " + done.status() + " " + done.body().path("error").path("code"));
                  } else {
                    completed.increment();
                  }
                });
      }
    }
  }

  // ---- the parts

  private static void count(Map<String, LongAdder> errors, String kind) {
    errors.computeIfAbsent(kind, k -> new LongAdder()).increment();
  }

  private static String register(Http http, String capability, int maxConcurrentAttempts) {
    Http.Response r =
        http.await(
            http.post(
                "/api/v1/participants",
                Map.of(
                    "workspace",
                    WORKSPACE,
                    "capabilities",
                    List.of(capability),
                    "max_concurrent_attempts",
                    maxConcurrentAttempts)));
    if (!r.ok()) {
      throw new IllegalStateException("registering a worker failed: " + r);
    }
    return r.text("id");
  }

  /**
   * Submits {@code count} missions for {@code capability}, {@code concurrency} in flight; each
   * waits up to {@code scheduleToStartMs} (0: an hour) for a capable participant.
   */
  private static int submit(
      Http http, String capability, int count, int concurrency, long scheduleToStartMs) {
    long wait = scheduleToStartMs > 0 ? scheduleToStartMs : 3_600_000L;
    return ScaleBench.concurrently(
        count,
        concurrency,
        i ->
            http.post(
                "/api/v1/missions",
                Map.of(
                    "workspace",
                    WORKSPACE,
                    "title",
                    capability + " " + i,
                    "required_capabilities",
                    List.of(capability),
                    "input",
                    Map.of("k", i),
                    "timeouts",
                    Map.of("schedule_to_start_ms", wait))));
  }

  /** The backlog's count of waiting missions in the benchmark's workspace. */
  private static long waiting(Http http) {
    Http.Response r = http.await(http.get("/api/v1/backlog?workspace=" + WORKSPACE + "&limit=1"));
    return r.ok() ? r.body().path("waiting").asLong() : -1;
  }

  /** How many of the benchmark's missions escalated (there should be none). */
  private static long escalated(Http http) {
    long count = 0;
    String cursor = null;
    do {
      Http.Response r =
          http.await(
              http.get(
                  "/api/v1/missions?workspace="
                      + WORKSPACE
                      + "&state=escalated&limit=500"
                      + (cursor == null
                          ? ""
                          : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8))));
      if (!r.ok()) {
        return -1;
      }
      count += r.body().path("missions").size();
      cursor =
          r.body().path("next_cursor").isTextual() ? r.body().path("next_cursor").asText() : null;
    } while (cursor != null);
    return count;
  }
}
