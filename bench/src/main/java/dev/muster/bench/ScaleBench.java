package dev.muster.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;

/**
 * Scale figures: dispatch latency as the registered participants grow (1k, 10k, 100k, ...), the
 * time it takes to register them over HTTP, how long the capability index takes to fold them,
 * memory with that many participants and as many open (offered, idle, passivated) missions, and the
 * node's start time, index catch-up and memory over that journal.
 *
 * <p>Index catch-up is measured with a marker: after a level's registrations one more participant
 * with a capability of its own is registered, and the participant list (answered from the index,
 * 503 until the index has folded the events stored at its start) is polled until it shows the
 * marker. The index folds the journal in order, so then it has folded every registration before:
 * from then on any registered participant can be dispatched to.
 */
final class ScaleBench {
  record Options(
      List<Integer> participantLevels,
      int openMissions,
      int registerConcurrency,
      double probeRate,
      Duration probeWarmup,
      Duration probeDuration,
      Duration passivateIdleAfter,
      List<String> nodeJvmOptions) {}

  static Map<String, Object> run(Path jar, Database db, Options o) throws Exception {
    List<String> jvm = new ArrayList<>(o.nodeJvmOptions());
    jvm.add("-Dmuster.cluster.passivate-idle-after=" + o.passivateIdleAfter().toSeconds() + "s");
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("passivate_idle_after_s", o.passivateIdleAfter().toSeconds());
    List<Map<String, Object>> levels = new ArrayList<>();
    out.put("levels", levels);
    int registered = 0;
    String lastMarker = null;
    try (NodeProcess node = NodeProcess.start(jar, db, jvm, Duration.ofMinutes(2));
        Http http = new Http(node, 4, Duration.ofSeconds(30))) {
      out.put("empty_start_s", EndToEnd.round(node.startTime.toMillis() / 1000.0));
      out.put("empty_heap_after_gc_mib", EndToEnd.round(node.heapUsedMib(true)));
      double registerSeconds = 0;
      for (int level : o.participantLevels()) {
        long t0 = System.nanoTime();
        int before = registered;
        registered += register(http, level - registered, o.registerConcurrency());
        double took = (System.nanoTime() - t0) / 1e9;
        registerSeconds += took;
        Map<String, Object> l = new LinkedHashMap<>();
        l.put("participants", registered);
        l.put("register_s", EndToEnd.round(took));
        l.put("registrations_per_s", EndToEnd.round((registered - before) / took));
        lastMarker = "scale-marker-" + level;
        registerMarker(http, lastMarker);
        double lag = untilIndexShows(http, lastMarker, INDEX_WITHIN);
        // From the marker's registration (after the level's last registration was answered).
        l.put("index_caught_up_s", EndToEnd.round(lag));
        System.err.println("scale level " + level + ": index caught up after " + lag + " s");
        EndToEnd probe =
            new EndToEnd(
                http,
                new EndToEnd.Options(
                    EndToEnd.Scenario.SINGLE,
                    true,
                    o.probeRate(),
                    0,
                    o.probeWarmup(),
                    o.probeDuration(),
                    4,
                    1000,
                    100,
                    0,
                    0,
                    "bench"));
        Map<String, Object> r = probe.run(node, db);
        l.put("probe_rate", o.probeRate());
        // New workers are selectable once the capability index has folded every registration.
        l.put("first_mission_s", r.get("first_mission_s"));
        l.put("missions_per_s", r.get("missions_per_s"));
        l.put("dispatch", r.get("dispatch"));
        l.put("end_to_end", r.get("end_to_end"));
        l.put("node_heap_after_gc_mib", r.get("node_heap_after_gc_mib"));
        l.put("node_rss_mib", r.get("node_rss_mib"));
        levels.add(l);
        System.err.println("scale level " + l);
      }
      out.put("register_total_s", EndToEnd.round(registerSeconds));

      long t0 = System.nanoTime();
      int submitted = submitIdle(http, o.openMissions(), o.registerConcurrency());
      double took = (System.nanoTime() - t0) / 1e9;
      out.put("open_missions", submitted);
      out.put("open_missions_submit_s", EndToEnd.round(took));
      out.put("heap_after_load_mib", EndToEnd.round(node.heapUsedMib(true)));
      out.put("rss_after_load_mib", EndToEnd.round(node.rssMib()));
      Thread.sleep(o.passivateIdleAfter().plusSeconds(15).toMillis());
      out.put("heap_after_passivation_mib", EndToEnd.round(node.heapUsedMib(true)));
      out.put("rss_after_passivation_mib", EndToEnd.round(node.rssMib()));
      out.put("journal_rows", EndToEnd.rows(db));
    }
    try (NodeProcess node = NodeProcess.start(jar, db, jvm, Duration.ofMinutes(10));
        Http http = new Http(node, 2, Duration.ofSeconds(30))) {
      double ready = node.startTime.toMillis() / 1000.0;
      out.put("restart_ready_s", EndToEnd.round(ready));
      if (lastMarker != null) {
        // From the process start, like restart_ready_s: the index folds the journal again.
        double caughtUp = ready + untilIndexShows(http, lastMarker, INDEX_WITHIN);
        out.put("restart_index_caught_up_s", EndToEnd.round(caughtUp));
        System.err.println("restart: index caught up " + caughtUp + " s after the process start");
      }
      // With the index folded again (before this figure was taken right at ready).
      out.put("restart_heap_after_gc_mib", EndToEnd.round(node.heapUsedMib(true)));
      out.put("restart_rss_mib", EndToEnd.round(node.rssMib()));
    }
    return out;
  }

  /** The longest wait for the index to show a marker before the run fails. */
  private static final Duration INDEX_WITHIN = Duration.ofMinutes(20);

  private static void registerMarker(Http http, String capability) {
    Http.Response r = http.await(http.post("/api/v1/participants", participant(capability, 1)));
    if (!r.ok()) {
      throw new IllegalStateException("registering the marker failed: " + r);
    }
  }

  /** A registration in the benchmark's workspace with one capability. */
  private static Map<String, Object> participant(String capability, int maxConcurrentAttempts) {
    return Map.of(
        "workspace",
        "bench",
        "capabilities",
        List.of(capability),
        "max_concurrent_attempts",
        maxConcurrentAttempts);
  }

  /** Seconds until the participant list (from the capability index) shows the marker. */
  private static double untilIndexShows(Http http, String capability, Duration within)
      throws InterruptedException {
    long t0 = System.nanoTime();
    long deadline = t0 + within.toNanos();
    String path = "/api/v1/participants?workspace=bench&limit=1&capability=" + capability;
    while (true) {
      try {
        Http.Response r = http.await(http.get(path));
        if (r.ok() && r.body().path("participants").size() > 0) {
          return (System.nanoTime() - t0) / 1e9;
        }
      } catch (RuntimeException notYet) {
        // a timeout of one poll: try again
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "the capability index did not show " + capability + " within " + within);
      }
      Thread.sleep(100);
    }
  }

  /** Registers idle participants over HTTP, {@code concurrency} requests in flight. */
  private static int register(Http http, int count, int concurrency) {
    return concurrently(
        count, concurrency, i -> http.post("/api/v1/participants", participant("idle", 10)));
  }

  /** Missions only the idle participants can take: offered, never polled, so they stay open. */
  private static int submitIdle(Http http, int count, int concurrency) {
    return concurrently(
        count,
        concurrency,
        i ->
            http.post(
                "/api/v1/missions",
                Map.of(
                    "workspace",
                    "bench",
                    "title",
                    "idle",
                    "required_capabilities",
                    List.of("idle"),
                    "input",
                    Map.of("i", i))));
  }

  /** Runs {@code count} calls, {@code concurrency} in flight; answers how many were 2xx. */
  static int concurrently(
      int count,
      int concurrency,
      java.util.function.IntFunction<CompletableFuture<Http.Response>> call) {
    Semaphore inFlight = new Semaphore(concurrency);
    LongAdder ok = new LongAdder();
    LongAdder failed = new LongAdder();
    for (int i = 0; i < count; i++) {
      inFlight.acquireUninterruptibly();
      call.apply(i)
          .whenComplete(
              (r, e) -> {
                if (e == null && r.ok()) {
                  ok.increment();
                } else {
                  failed.increment();
                }
                inFlight.release();
              });
    }
    inFlight.acquireUninterruptibly(concurrency);
    if (failed.sum() > 0) {
      System.err.println(failed.sum() + " of " + count + " requests failed");
    }
    return (int) ok.sum();
  }
}
