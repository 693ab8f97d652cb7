package dev.muster.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * One end-to-end load run against a running node over its HTTP API: simulated workers register as
 * participants, long-poll their inboxes, ack each offer and complete (or fail once) the attempt,
 * while submitters post missions open-loop (on a fixed clock; latency measured from the scheduled
 * time, so a slow node cannot hide its queueing: no coordinated omission) or closed-loop (N
 * submitters, each waiting for its mission to complete before the next).
 */
final class EndToEnd {
  enum Scenario {
    SINGLE,
    SPLIT,
    RETRY,
    MIX
  }

  record Options(
      Scenario scenario,
      boolean openLoop,
      double rate,
      int concurrency,
      Duration warmup,
      Duration duration,
      int workers,
      int capacity,
      int pollMax,
      double failFraction,
      int children,
      String workspace) {}

  /** One mission being tracked from its (scheduled) submission to its last completion. */
  private static final class Track {
    final long t0;
    final AtomicInteger remaining;
    final AtomicBoolean dispatched = new AtomicBoolean();
    final CompletableFuture<Void> done = new CompletableFuture<>();

    Track(long t0, int parts) {
      this.t0 = t0;
      this.remaining = new AtomicInteger(parts);
    }
  }

  private final Http http;
  private final Options o;
  private final String capability;
  private final Map<Long, Track> tracks = new ConcurrentHashMap<>();
  private final AtomicLong nextSeq = new AtomicLong();
  private final Latency submit = new Latency();
  private final Latency dispatch = new Latency();
  private final Latency endToEnd = new Latency();
  private final LongAdder completedInWindow = new LongAdder();
  private final LongAdder submitted = new LongAdder();
  private final LongAdder failedOnce = new LongAdder();
  private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
  private final List<String> parentIds = java.util.Collections.synchronizedList(new ArrayList<>());
  private volatile boolean running = true;
  private volatile boolean submitting = true;
  private volatile long windowStart = Long.MAX_VALUE;
  private volatile long windowEnd = Long.MAX_VALUE;

  EndToEnd(Http http, Options options) {
    this.http = http;
    this.o = options;
    this.capability = "bench-" + Long.toString(System.nanoTime(), 36);
  }

  /** Runs warm-up plus the measured window; {@code node} and {@code db} give CPU, heap, events. */
  Map<String, Object> run(NodeProcess node, Database db) throws Exception {
    List<String> workerIds = registerWorkers();
    boolean heartbeats = heartbeat(workerIds.get(0));
    Thread heartbeat =
        new Thread(
            () -> {
              while (running && heartbeats) {
                workerIds.forEach(this::heartbeat);
                try {
                  Thread.sleep(HEARTBEAT_EVERY_MS);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "bench-heartbeat");
    heartbeat.setDaemon(true);
    heartbeat.start();
    List<Thread> pollers = new ArrayList<>();
    for (String id : workerIds) {
      Thread t = new Thread(() -> pollLoop(id), "bench-worker-" + id);
      t.setDaemon(true);
      t.start();
      pollers.add(t);
    }
    awaitWorkersSelectable();
    // The node's CPU with the workers polling and no missions: its floor (read side, cluster,
    // polls).
    double idle0 = node.cpuSeconds();
    long idleStart = System.nanoTime();
    Thread.sleep(IDLE_MS);
    double idleCores = (node.cpuSeconds() - idle0) / ((System.nanoTime() - idleStart) / 1e9);

    long start = System.nanoTime();
    List<Thread> submitters = startSubmitters(start);
    sleepUntil(start + o.warmup().toNanos());

    var os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long rows0;
    double cpu0 = node.cpuSeconds();
    long genCpu0 = os.getProcessCpuTime();
    try (Connection c = db.connect()) {
      rows0 = db.journalRows(c);
    }
    windowStart = System.nanoTime();
    sleepUntil(windowStart + o.duration().toNanos());
    windowEnd = System.nanoTime();
    long rows1;
    double cpu1 = node.cpuSeconds();
    long genCpu1 = os.getProcessCpuTime();
    try (Connection c = db.connect()) {
      rows1 = db.journalRows(c);
    }
    double heapUsed = node.heapUsedMib(false);
    double rss = node.rssMib();

    submitting = false;
    for (Thread t : submitters) {
      t.join(TimeUnit.SECONDS.toMillis(40));
    }
    long drainDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!tracks.isEmpty() && System.nanoTime() < drainDeadline) {
      Thread.sleep(50);
    }
    int unfinished = tracks.size();
    running = false;
    for (Thread t : pollers) {
      t.join(TimeUnit.SECONDS.toMillis(10));
    }
    double heapAfterGc = node.heapUsedMib(true);

    double seconds = (windowEnd - windowStart) / 1e9;
    long completed = completedInWindow.sum();
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("scenario", o.scenario().name().toLowerCase());
    r.put("mode", o.openLoop() ? "open" : "closed");
    if (o.openLoop()) {
      r.put("target_rate", o.rate());
    } else {
      r.put("concurrency", o.concurrency());
    }
    r.put("window_s", round(seconds));
    r.put("worker_heartbeats", heartbeats);
    r.put("first_mission_s", round(firstMissionSeconds));
    r.put("missions_per_s", round(completed / seconds));
    r.put("events_per_s", round((rows1 - rows0) / seconds));
    r.put("events_per_mission", completed == 0 ? 0 : round((double) (rows1 - rows0) / completed));
    r.put("node_cpu_cores", round((cpu1 - cpu0) / seconds));
    r.put("node_idle_cpu_cores", round(idleCores));
    r.put("node_cpu_ms_per_mission", completed == 0 ? 0 : round((cpu1 - cpu0) * 1000 / completed));
    r.put("generator_cpu_cores", round((genCpu1 - genCpu0) / 1e9 / seconds));
    r.put("node_heap_used_mib", round(heapUsed));
    r.put("node_heap_after_gc_mib", round(heapAfterGc));
    r.put("node_rss_mib", round(rss));
    r.put("submit", submit.summary());
    r.put("dispatch", dispatch.summary());
    r.put("end_to_end", endToEnd.summary());
    r.put("submitted", submitted.sum());
    r.put("failed_once", failedOnce.sum());
    r.put("unfinished_after_drain", unfinished);
    Map<String, Long> errs = new LinkedHashMap<>();
    errors.forEach((k, v) -> errs.put(k, v.sum()));
    r.put("errors", errs);
    if (o.scenario() == Scenario.SPLIT) {
      r.put("parents_checked", checkParents());
    }
    return r;
  }

  // ---- workers

  private static final long HEARTBEAT_EVERY_MS = 5_000;
  private static final long IDLE_MS = 5_000;
  private static final long FIRST_MISSION_WITHIN_S = 600;
  private double firstMissionSeconds;

  /** One heartbeat; false when the build has no heartbeat route (404/405). */
  private boolean heartbeat(String participant) {
    try {
      Http.Response r =
          http.post(
                  "/api/v1/participants/" + participant + "/heartbeat", Map.of("status", "active"))
              .join();
      if (!r.ok() && r.status() != 404 && r.status() != 405) {
        error("heartbeat " + r.status());
      }
      return r.status() != 404 && r.status() != 405;
    } catch (RuntimeException e) {
      error("heartbeat " + e.getClass().getSimpleName());
      return true;
    }
  }

  private List<String> registerWorkers() {
    List<CompletableFuture<Http.Response>> registered = new ArrayList<>();
    for (int i = 0; i < o.workers(); i++) {
      registered.add(
          http.post(
              "/api/v1/participants",
              Map.of(
                  "workspace",
                  o.workspace(),
                  "capabilities",
                  List.of(capability),
                  "max_concurrent_attempts",
                  o.capacity())));
    }
    List<String> ids = new ArrayList<>();
    for (var f : registered) {
      Http.Response r = f.join();
      if (!r.ok()) {
        throw new IllegalStateException("worker registration failed: " + r);
      }
      ids.add(r.text("id"));
    }
    return ids;
  }

  /**
   * Waits until the capability index knows the workers (it follows the journal with a refresh
   * interval): one warm-up mission must complete before the clock starts.
   */
  private void awaitWorkersSelectable() throws Exception {
    long seq = nextSeq.getAndIncrement();
    Track track = new Track(System.nanoTime(), parts());
    tracks.put(seq, track);
    Http.Response r = http.post("/api/v1/missions", body(seq)).join();
    if (!r.ok()) {
      throw new IllegalStateException("the first mission was refused: " + r);
    }
    try {
      // Generous: after a burst of registrations the index may be far behind the journal.
      track.done.get(FIRST_MISSION_WITHIN_S, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "the first mission did not complete within " + FIRST_MISSION_WITHIN_S + " s", e);
    }
    firstMissionSeconds = (System.nanoTime() - track.t0) / 1e9;
  }

  private void pollLoop(String participant) {
    String path = "/api/v1/participants/" + participant + "/inbox?wait=1s&max=" + o.pollMax();
    while (running) {
      Http.Response r;
      try {
        r = http.get(path, Duration.ofSeconds(15)).join();
      } catch (RuntimeException e) {
        error("poll " + e.getClass().getSimpleName());
        continue;
      }
      if (!r.ok()) {
        error("poll " + r.status());
        continue;
      }
      long received = System.nanoTime();
      for (JsonNode m : r.body().path("messages")) {
        handle(participant, m, received);
      }
    }
  }

  private void handle(String participant, JsonNode m, long received) {
    String messageId = m.path("message_id").asText();
    String ack = "/api/v1/participants/" + participant + "/inbox/" + messageId + "/ack";
    if (!"task_offer".equals(m.path("type").asText())) {
      http.post(ack, Map.of());
      return;
    }
    String mission = m.path("mission_id").asText();
    int attempt = m.path("attempt").asInt();
    JsonNode input = m.path("payload").path("input");
    long seq = input.path("k").asLong(-1);
    Track track = tracks.get(seq);
    if (track != null && track.dispatched.compareAndSet(false, true) && inWindow(track.t0)) {
      dispatch.recordNanos(received - track.t0);
    }
    boolean failThisOne = attempt == 1 && o.failFraction() > 0 && failed(seq, input);
    String attemptPath = "/api/v1/missions/" + mission + "/attempts/" + attempt;
    http.post(ack, Map.of())
        .thenCompose(
            a -> {
              if (!a.ok()) {
                error("ack " + a.status());
              }
              if (failThisOne) {
                return http.post(
                    attemptPath + "/fail",
                    Map.of("reason", "bench", "retryable", true, "cleanup_status", "clean"));
              }
              return http.post(
                  attemptPath + "/complete",
                  Map.of("result", Map.of("ok", true), "usage", Map.of("cost", 1)));
            })
        .whenComplete(
            (done, failure) -> {
              if (failure != null) {
                error("complete " + failure.getClass().getSimpleName());
                return;
              }
              if (!done.ok()) {
                error((failThisOne ? "fail " : "complete ") + done.status());
                return;
              }
              if (failThisOne) {
                failedOnce.increment();
                return;
              }
              if (track != null && track.remaining.decrementAndGet() == 0) {
                finished(seq, track);
              }
            });
  }

  private boolean failed(long seq, JsonNode input) {
    long key = seq * 31 + input.path("c").asLong(0);
    return Math.floorMod(key * 0x9E3779B97F4A7C15L >>> 11, 1000) < o.failFraction() * 1000;
  }

  private void finished(long seq, Track track) {
    long now = System.nanoTime();
    if (now >= windowStart && now < windowEnd) {
      completedInWindow.increment();
    }
    if (inWindow(track.t0)) {
      endToEnd.recordNanos(now - track.t0);
    }
    tracks.remove(seq);
    track.done.complete(null);
  }

  private boolean inWindow(long t0) {
    return t0 >= windowStart && t0 < windowEnd;
  }

  // ---- submitters

  private List<Thread> startSubmitters(long start) {
    List<Thread> threads = new ArrayList<>();
    if (o.openLoop()) {
      threads.add(new Thread(() -> openLoop(start), "bench-submit-open"));
    } else {
      for (int i = 0; i < o.concurrency(); i++) {
        threads.add(new Thread(this::closedLoop, "bench-submit-closed-" + i));
      }
    }
    threads.forEach(
        t -> {
          t.setDaemon(true);
          t.start();
        });
    return threads;
  }

  private void openLoop(long start) {
    double periodNanos = 1e9 / o.rate();
    // Bounds what the generator holds in flight; latency still counts from the scheduled time.
    Semaphore inFlight = new Semaphore(4096);
    for (long i = 0; submitting; i++) {
      long scheduled = start + (long) (i * periodNanos);
      long wait = scheduled - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      inFlight.acquireUninterruptibly();
      long seq = nextSeq.getAndIncrement();
      Track track = new Track(scheduled, parts());
      tracks.put(seq, track);
      submitted.increment();
      http.post("/api/v1/missions", body(seq))
          .whenComplete(
              (r, failure) -> {
                inFlight.release();
                submitted(seq, track, r, failure);
              });
    }
  }

  private void closedLoop() {
    while (submitting) {
      long seq = nextSeq.getAndIncrement();
      Track track = new Track(System.nanoTime(), parts());
      tracks.put(seq, track);
      submitted.increment();
      try {
        Http.Response r = http.post("/api/v1/missions", body(seq)).join();
        submitted(seq, track, r, null);
        if (r.ok()) {
          track.done.get(30, TimeUnit.SECONDS);
        }
      } catch (Exception e) {
        error("closed-loop " + e.getClass().getSimpleName());
        tracks.remove(seq);
      }
    }
  }

  private void submitted(long seq, Track track, Http.Response r, Throwable failure) {
    if (failure != null || !r.ok()) {
      error("submit " + (failure != null ? failure.getClass().getSimpleName() : r.status()));
      tracks.remove(seq);
      track.done.complete(null);
      return;
    }
    if (inWindow(track.t0)) {
      submit.recordNanos(System.nanoTime() - track.t0);
    }
    if (o.scenario() == Scenario.SPLIT && parentIds.size() < 500) {
      parentIds.add(r.text("id"));
    }
  }

  private int parts() {
    return o.scenario() == Scenario.SPLIT ? o.children() : 1;
  }

  private Map<String, Object> body(long seq) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("workspace", o.workspace());
    body.put("title", "bench");
    body.put("required_capabilities", List.of(capability));
    body.put("input", Map.of("k", seq));
    if (o.scenario() == Scenario.RETRY || o.scenario() == Scenario.MIX) {
      body.put(
          "retry_policy",
          Map.of(
              "max_attempts",
              3,
              "initial_backoff_ms",
              10,
              "multiplier",
              2.0,
              "max_backoff_ms",
              100));
    }
    if (o.scenario() == Scenario.MIX) {
      body.put("budget", Map.of("scope", o.workspace(), "estimate", 1));
    }
    if (o.scenario() == Scenario.SPLIT) {
      List<Map<String, Object>> children = new ArrayList<>();
      for (int c = 0; c < o.children(); c++) {
        children.add(
            Map.of(
                "title",
                "child",
                "required_capabilities",
                List.of(capability),
                "input",
                Map.of("k", seq, "c", c)));
      }
      body.put("split", Map.of("join", "all", "children", children));
    }
    return body;
  }

  /** Split parents sampled during the run: how many reached succeeded. */
  private Map<String, Object> checkParents() {
    int succeeded = 0;
    List<String> ids;
    synchronized (parentIds) {
      ids = new ArrayList<>(parentIds);
    }
    for (String id : ids) {
      Http.Response r = http.get("/api/v1/missions/" + id).join();
      if ("succeeded".equals(r.text("state"))) {
        succeeded++;
      }
    }
    return Map.of("sampled", ids.size(), "succeeded", succeeded);
  }

  private void error(String what) {
    errors.computeIfAbsent(what, k -> new LongAdder()).increment();
  }

  static void sleepUntil(long nanoTime) throws InterruptedException {
    long wait;
    while ((wait = nanoTime - System.nanoTime()) > 0) {
      TimeUnit.NANOSECONDS.sleep(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(200)));
    }
  }

  static double round(double value) {
    return Math.round(value * 100) / 100.0;
  }

  /** The journal rows now; for callers outside a run. */
  static long rows(Database db) throws SQLException {
    try (Connection c = db.connect()) {
      return db.journalRows(c);
    }
  }
}
