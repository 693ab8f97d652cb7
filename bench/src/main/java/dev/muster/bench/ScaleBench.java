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
 * time it takes to register them over HTTP, memory with that many participants and as many open
 * (offered, idle, passivated) missions, and the node's start time and memory over that journal.
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
    try (NodeProcess node = NodeProcess.start(jar, db, jvm, Duration.ofMinutes(2));
        Http http = new Http(node.baseUrl(), 4, Duration.ofSeconds(30))) {
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
    try (NodeProcess node = NodeProcess.start(jar, db, jvm, Duration.ofMinutes(10))) {
      out.put("restart_ready_s", EndToEnd.round(node.startTime.toMillis() / 1000.0));
      out.put("restart_heap_after_gc_mib", EndToEnd.round(node.heapUsedMib(true)));
      out.put("restart_rss_mib", EndToEnd.round(node.rssMib()));
    }
    return out;
  }

  /** Registers idle participants over HTTP, {@code concurrency} requests in flight. */
  private static int register(Http http, int count, int concurrency) {
    return concurrently(
        count,
        concurrency,
        i ->
            http.post(
                "/api/v1/participants",
                Map.of(
                    "workspace",
                    "bench",
                    "capabilities",
                    List.of("idle"),
                    "max_concurrent_attempts",
                    10)));
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

  private static int concurrently(
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
