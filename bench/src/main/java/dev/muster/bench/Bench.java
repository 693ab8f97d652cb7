package dev.muster.bench;

import com.fasterxml.jackson.databind.SerializationFeature;
import dev.muster.config.CommonPool;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The benchmark's command line: {@code e2e}, {@code journal}, {@code scale}, {@code backlog} and
 * {@code suite} (every figure of BENCHMARKS.md). Each writes its runs and their medians under the
 * results folder and prints a table. See BENCHMARKS.md.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    subcommands = {
      Bench.Suite.class,
      Bench.E2e.class,
      Bench.Journal.class,
      Bench.Scale.class,
      Bench.Backlog.class,
      Bench.Auth.class,
      Bench.ProfileSummary.class
    },
    description = "Measures a Muster node end to end over HTTP, its journal, and its scale.")
public final class Bench {
  public static void main(String[] args) {
    // The generator's asks and HTTP callbacks must not start a thread each (see CommonPool).
    CommonPool.ensureParallelism();
    System.exit(
        new CommandLine(new Bench()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
  }

  /** Options every command shares. */
  static final class Common {
    @Option(
        names = "--db",
        split = ",",
        description = "h2, postgres or both (default: ${DEFAULT-VALUE})",
        defaultValue = "h2,postgres")
    List<Database.Kind> dbs;

    @Option(
        names = "--runs",
        description = "Runs per figure; the table shows medians (default: ${DEFAULT-VALUE})",
        defaultValue = "3")
    int runs;

    @Option(
        names = "--results",
        description = "Results folder (default: ${DEFAULT-VALUE})",
        defaultValue = "bench/results")
    Path results;

    @Option(names = "--node-jar", defaultValue = "control-plane-api/target/muster-node.jar")
    Path nodeJar;

    @Option(
        names = "--node-jvm",
        split = " ",
        description = "JVM options of the node process (default: none, the JVM's defaults)")
    List<String> nodeJvm = new ArrayList<>();

    @Option(names = "--warmup", defaultValue = "10s", converter = DurationConverter.class)
    Duration warmup;

    @Option(
        names = "--duration",
        description = "Measured window per run (default: ${DEFAULT-VALUE})",
        defaultValue = "20s",
        converter = DurationConverter.class)
    Duration duration;

    @Option(
        names = "--keep",
        description = "Keep each run's database (H2 folder, PostgreSQL schema)")
    boolean keep;
  }

  /** Options of the end-to-end load. */
  static final class Load {
    @Option(
        names = "--workers",
        description = "Simulated worker participants (default: ${DEFAULT-VALUE})",
        defaultValue = "8")
    int workers;

    @Option(
        names = "--capacity",
        description = "max_concurrent_attempts of each worker (default: ${DEFAULT-VALUE})",
        defaultValue = "1000")
    int capacity;

    @Option(
        names = "--poll-max",
        description = "Messages per inbox poll (default: ${DEFAULT-VALUE})",
        defaultValue = "100")
    int pollMax;

    @Option(
        names = "--fail-fraction",
        description =
            "Fraction of first attempts that fail once in retry/mix (default: ${DEFAULT-VALUE})",
        defaultValue = "0.2")
    double failFraction;

    @Option(
        names = "--children",
        description = "Children of a split mission (default: ${DEFAULT-VALUE})",
        defaultValue = "10")
    int children;

    @Option(
        names = "--jfr",
        description =
            "Record the node with JFR during the measured window and summarise where its CPU goes")
    boolean jfr;
  }

  // ---- commands

  @Command(
      name = "suite",
      mixinStandardHelpOptions = true,
      description =
          "Every figure of BENCHMARKS.md: journal, closed-loop max, open-loop at half of it, the other scenarios, scale.")
  static final class Suite implements Callable<Integer> {
    @Mixin Common common;
    @Mixin Load load;

    @Option(
        names = "--concurrency",
        description = "Closed-loop submitters (default: ${DEFAULT-VALUE})",
        defaultValue = "64")
    int concurrency;

    @Option(
        names = "--open-rate",
        description =
            "Open-loop rate, missions/s; 0 = half the measured closed-loop max (default: ${DEFAULT-VALUE})",
        defaultValue = "0")
    double openRate;

    @Option(
        names = "--open-warmup",
        description =
            "Least warm-up of the open-loop run at half load: with less, a cold node starts the"
                + " window with a backlog (default: ${DEFAULT-VALUE})",
        defaultValue = "30s",
        converter = DurationConverter.class)
    Duration openWarmup;

    @Option(
        names = "--scenario-rate",
        description = "Open-loop rate of the split/retry/mix scenarios (default: ${DEFAULT-VALUE})",
        defaultValue = "50")
    double scenarioRate;

    @Option(names = "--journal-entities", defaultValue = "200")
    int journalEntities;

    @Option(
        names = "--scale-levels",
        split = ",",
        description =
            "Registered participants at which dispatch is probed (default: ${DEFAULT-VALUE})",
        defaultValue = "1000,10000,100000")
    List<Integer> scaleLevels;

    @Option(
        names = "--scale-missions",
        description = "Open (idle) missions for the memory figure (default: ${DEFAULT-VALUE})",
        defaultValue = "100000")
    int scaleMissions;

    @Option(
        names = "--scale-probe-rate",
        description =
            "Open-loop rate of the dispatch probe at each scale level (default: ${DEFAULT-VALUE})",
        defaultValue = "25")
    double scaleProbeRate;

    @Option(
        names = "--scale-db",
        description = "Database of the scale figures (default: ${DEFAULT-VALUE})",
        defaultValue = "postgres")
    Database.Kind scaleDb;

    @Option(
        names = "--skip",
        split = ",",
        description =
            "Parts to skip: journal, closed, open, scenarios, scale, backlog; stock = the runs of the"
                + " plugin's own write path paired with the journal and closed-loop runs")
    List<String> skip = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      Results results = Results.open(common.results, "suite");
      for (Database.Kind db : common.dbs) {
        boolean pairs = !skip.contains("stock");
        if (!skip.contains("journal")) {
          // Each run: Muster's write path and the plugin's own, untagged and with one tag per
          // event, back to back, so that each pair's ratio comes from the same minutes.
          for (int run = 0; run < common.runs; run++) {
            for (int tags : List.of(0, 1)) {
              String name = tags == 0 ? "journal" : "journal tags=1";
              Map<String, Object> muster = journalRun(results, db, tags, Map.of(), name, run);
              if (pairs) {
                Map<String, Object> stock =
                    journalRun(
                        results, db, tags, STOCK_WRITE_PATH, name + " stock write path", run);
                recordRatios(
                    results,
                    name + " Muster/stock",
                    db,
                    run,
                    List.of("journal_events_per_s"),
                    muster,
                    stock);
              }
            }
          }
        }
        double max = 0;
        if (!skip.contains("closed")) {
          List<Map<String, Object>> runs = new ArrayList<>();
          for (int run = 0; run < common.runs; run++) {
            Map<String, Object> muster =
                closedRun(results, db, "e2e-closed-single", run, List.of());
            runs.add(muster);
            if (pairs) {
              Map<String, Object> stock =
                  closedRun(
                      results,
                      db,
                      "e2e-closed-single stock write path",
                      run,
                      asSystemProperties(STOCK_WRITE_PATH));
              recordRatios(
                  results,
                  "e2e-closed-single Muster/stock",
                  db,
                  run,
                  List.of("missions_per_s", "node_cpu_ms_per_mission"),
                  muster,
                  stock);
            }
          }
          max = ((Number) Medians.of(runs).getOrDefault("missions_per_s", 0.0)).doubleValue();
        }
        if (!skip.contains("open")) {
          double rate = openRate > 0 ? openRate : Math.max(10, Math.floor(max / 2));
          e2e(
              results,
              common,
              load,
              db,
              EndToEnd.Scenario.SINGLE,
              true,
              rate,
              0,
              "e2e-open-single",
              max(common.warmup, openWarmup));
        }
        if (!skip.contains("scenarios")) {
          for (EndToEnd.Scenario s :
              List.of(EndToEnd.Scenario.SPLIT, EndToEnd.Scenario.RETRY, EndToEnd.Scenario.MIX)) {
            e2e(
                results,
                common,
                load,
                db,
                s,
                true,
                scenarioRate,
                0,
                "e2e-open-" + s.name().toLowerCase(Locale.ROOT),
                common.warmup);
          }
        }
      }
      if (!skip.contains("scale")) {
        scale(
            results,
            common,
            scaleDb,
            scaleLevels,
            scaleMissions,
            scaleProbeRate,
            Duration.ofSeconds(30));
      }
      if (!skip.contains("backlog")) {
        BacklogBench.Options options = Backlog.defaults(common.nodeJvm);
        for (Database.Kind db : common.dbs) {
          backlogHandover(results, common, db, options);
        }
        backlogWaiting(results, common, scaleDb, options);
      }
      results.printTable();
      return 0;
    }

    private Map<String, Object> journalRun(
        Results results,
        Database.Kind db,
        int tags,
        Map<String, String> settings,
        String name,
        int run)
        throws Exception {
      return Bench.journalRun(results, common, db, journalEntities, tags, 400, settings, name, run);
    }

    private Map<String, Object> closedRun(
        Results results, Database.Kind db, String name, int run, List<String> nodeJvm)
        throws Exception {
      return e2eRun(
          results,
          common,
          load,
          db,
          EndToEnd.Scenario.SINGLE,
          false,
          0,
          concurrency,
          name,
          run,
          common.warmup,
          nodeJvm);
    }
  }

  @Command(
      name = "e2e",
      mixinStandardHelpOptions = true,
      description = "End-to-end load over HTTP against a fresh node per run.")
  static final class E2e implements Callable<Integer> {
    @Mixin Common common;
    @Mixin Load load;

    @Option(
        names = "--scenario",
        defaultValue = "single",
        description = "single, split, retry, mix")
    EndToEnd.Scenario scenario;

    @Option(
        names = "--mode",
        defaultValue = "closed",
        description = "open (fixed arrival rate) or closed (N submitters)")
    String mode;

    @Option(
        names = "--rate",
        defaultValue = "500",
        description = "Open loop: missions/s (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(
        names = "--concurrency",
        defaultValue = "64",
        description = "Closed loop: submitters (default: ${DEFAULT-VALUE})")
    int concurrency;

    @Override
    public Integer call() throws Exception {
      Results results = Results.open(common.results, "e2e");
      boolean open = mode.equals("open");
      for (Database.Kind db : common.dbs) {
        e2e(
            results,
            common,
            load,
            db,
            scenario,
            open,
            rate,
            concurrency,
            "e2e-" + mode + "-" + scenario.name().toLowerCase(Locale.ROOT),
            common.warmup);
      }
      results.printTable();
      return 0;
    }
  }

  @Command(
      name = "journal",
      mixinStandardHelpOptions = true,
      description = "Journal micro-benchmark: the persistence path vs plain batched JDBC inserts.")
  static final class Journal implements Callable<Integer> {
    @Mixin Common common;

    @Option(names = "--entities", defaultValue = "200")
    int entities;

    @Option(
        names = "--tags",
        defaultValue = "0",
        description = "Tags per event (Muster's events carry 1-2; default: ${DEFAULT-VALUE})")
    int tags;

    @Option(
        names = "--batch",
        defaultValue = "400",
        description = "Rows per plain JDBC batch (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(
        names = "--set",
        description = "Extra Pekko setting for the journal side, key=value (what-if runs)")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
      Results results = Results.open(common.results, "journal");
      for (Database.Kind db : common.dbs) {
        journal(
            results,
            common,
            db,
            entities,
            tags,
            batch,
            overrides,
            (tags == 0 ? "journal" : "journal tags=" + tags)
                + (overrides.isEmpty() ? "" : " " + overrides));
      }
      results.printTable();
      return 0;
    }
  }

  @Command(
      name = "scale",
      mixinStandardHelpOptions = true,
      description =
          "Dispatch latency from 1k to 100k participants; memory and start time with many participants and open missions.")
  static final class Scale implements Callable<Integer> {
    @Mixin Common common;

    @Option(names = "--levels", split = ",", defaultValue = "1000,10000,100000")
    List<Integer> levels;

    @Option(names = "--missions", defaultValue = "100000")
    int missions;

    @Option(names = "--probe-rate", defaultValue = "25")
    double probeRate;

    @Option(names = "--passivate-after", defaultValue = "30s", converter = DurationConverter.class)
    Duration passivateAfter;

    @Override
    public Integer call() throws Exception {
      Results results = Results.open(common.results, "scale");
      for (Database.Kind db : common.dbs) {
        scale(results, common, db, levels, missions, probeRate, passivateAfter);
      }
      results.printTable();
      return 0;
    }
  }

  @Command(
      name = "backlog",
      mixinStandardHelpOptions = true,
      description =
          "More work than workers: hand-over latency through a deep backlog; CPU and heap of many"
              + " waiting missions, then their drain.")
  static final class Backlog implements Callable<Integer> {
    @Mixin Common common;

    @Option(
        names = "--backlog",
        description =
            "Missions submitted before the hand-over workers start (default: ${DEFAULT-VALUE})",
        defaultValue = "2000")
    int backlog;

    @Option(
        names = "--handover-warmup",
        description =
            "Missions completed before the hand-over figures are taken (default: ${DEFAULT-VALUE})",
        defaultValue = "1000")
    int handoverWarmup;

    @Option(
        names = "--handover-workers",
        description =
            "Workers of capacity 1 looping poll, ack, complete (default: ${DEFAULT-VALUE})",
        defaultValue = "4")
    int handoverWorkers;

    @Option(
        names = "--waiting",
        description = "Missions that wait with nobody capable (default: ${DEFAULT-VALUE})",
        defaultValue = "100000")
    int waiting;

    @Option(
        names = "--idle-workers",
        description = "Polling workers that can take none of them (default: ${DEFAULT-VALUE})",
        defaultValue = "4")
    int idleWorkers;

    @Option(
        names = "--drain-workers",
        description = "Capable workers that then drain them (default: ${DEFAULT-VALUE})",
        defaultValue = "8")
    int drainWorkers;

    @Option(
        names = "--drain-capacity",
        description = "max_concurrent_attempts of each draining worker (default: ${DEFAULT-VALUE})",
        defaultValue = "100")
    int drainCapacity;

    @Option(
        names = "--cpu-window",
        description = "Window of the idle and waiting CPU figures (default: ${DEFAULT-VALUE})",
        defaultValue = "60s",
        converter = DurationConverter.class)
    Duration cpuWindow;

    @Option(names = "--passivate-after", defaultValue = "30s", converter = DurationConverter.class)
    Duration passivateAfter;

    @Option(
        names = "--waiting-db",
        description = "Database of the waiting figures (default: ${DEFAULT-VALUE})",
        defaultValue = "postgres")
    Database.Kind waitingDb;

    @Option(names = "--skip", split = ",", description = "Parts to skip: handover, waiting")
    List<String> skip = new ArrayList<>();

    /** The options of the suite's backlog part: this command's defaults. */
    static BacklogBench.Options defaults(List<String> nodeJvm) {
      Backlog b = new Backlog();
      new CommandLine(b).parseArgs();
      return b.options(nodeJvm);
    }

    BacklogBench.Options options(List<String> nodeJvm) {
      return new BacklogBench.Options(
          backlog,
          handoverWarmup,
          handoverWorkers,
          waiting,
          idleWorkers,
          drainWorkers,
          drainCapacity,
          64,
          cpuWindow,
          passivateAfter,
          nodeJvm);
    }

    @Override
    public Integer call() throws Exception {
      Results results = Results.open(common.results, "backlog");
      BacklogBench.Options options = options(common.nodeJvm);
      if (!skip.contains("handover")) {
        for (Database.Kind db : common.dbs) {
          backlogHandover(results, common, db, options);
        }
      }
      if (!skip.contains("waiting")) {
        backlogWaiting(results, common, waitingDb, options);
      }
      results.printTable();
      return 0;
    }
  }

  @Command(
      name = "auth",
      mixinStandardHelpOptions = true,
      description =
          "What checking a token costs: node CPU per request of /health/alive, /api/v1/me with"
              + " one token, and /api/v1/me verifying a signature on every request.")
  static final class Auth implements Callable<Integer> {
    @Mixin Common common;

    @Option(names = "--requests", defaultValue = "30000")
    int requests;

    @Option(names = "--warmup-requests", defaultValue = "30000")
    int warmupRequests;

    @Option(names = "--concurrency", defaultValue = "16")
    int concurrency;

    @Option(
        names = "--tokens",
        description = "Distinct tokens of the me-verify figure (default: ${DEFAULT-VALUE})",
        defaultValue = "64")
    int tokens;

    @Override
    public Integer call() throws Exception {
      Results results = Results.open(common.results, "auth");
      // One subject sends everything here: its rate limits (still checked) must not refuse it.
      for (String kind : List.of("read", "write")) {
        common.nodeJvm.add("-Dmuster.rate-limits.per-subject." + kind + ".capacity=100000000");
        common.nodeJvm.add(
            "-Dmuster.rate-limits.per-subject." + kind + ".refill-per-second=100000000");
      }
      AuthBench.Options o =
          new AuthBench.Options(requests, warmupRequests, concurrency, tokens, common.runs);
      for (Database.Kind kind : common.dbs) {
        for (int run = 1; run <= common.runs; run++) {
          try (Database db = Database.fresh(kind, "auth", common.keep);
              NodeProcess node =
                  NodeProcess.start(common.nodeJar, db, common.nodeJvm, Duration.ofMinutes(2));
              Http http = new Http(node, 4, Duration.ofSeconds(30))) {
            results.record(
                "auth alive", kind, run, AuthBench.run(node, http, o, "/health/alive", false));
            results.record("auth me", kind, run, AuthBench.run(node, http, o, "/api/v1/me", false));
            // Both again, warm: the first figures of a fresh node pay for the JIT.
            results.record(
                "auth alive again",
                kind,
                run,
                AuthBench.run(node, http, o, "/health/alive", false));
            results.record(
                "auth me again", kind, run, AuthBench.run(node, http, o, "/api/v1/me", false));
          }
          List<String> jvm = new ArrayList<>(common.nodeJvm);
          jvm.add("-Dmuster.auth.verified-cache-size=1");
          // Every request brings a token the node does not remember: not a flood here.
          jvm.add("-Dmuster.rate-limits.new-tokens-per-address.capacity=100000000");
          jvm.add("-Dmuster.rate-limits.new-tokens-per-address.refill-per-second=100000000");
          try (Database db = Database.fresh(kind, "auth-verify", common.keep);
              NodeProcess node = NodeProcess.start(common.nodeJar, db, jvm, Duration.ofMinutes(2));
              Http http = new Http(node, 4, Duration.ofSeconds(30))) {
            results.record(
                "auth me-verify", kind, run, AuthBench.run(node, http, o, "/api/v1/me", true));
          }
        }
      }
      results.printTable();
      return 0;
    }
  }

  @Command(
      name = "profile",
      mixinStandardHelpOptions = true,
      description = "Summarise a JFR recording's execution samples.")
  static final class ProfileSummary implements Callable<Integer> {
    @CommandLine.Parameters(index = "0")
    Path recording;

    @Override
    public Integer call() throws Exception {
      System.out.println(
          Http.JSON
              .writerWithDefaultPrettyPrinter()
              .writeValueAsString(Profile.summarise(recording, 30)));
      return 0;
    }
  }

  // ---- the parts

  static Map<String, Object> e2e(
      Results results,
      Common c,
      Load l,
      Database.Kind kind,
      EndToEnd.Scenario scenario,
      boolean open,
      double rate,
      int concurrency,
      String name,
      Duration warmup)
      throws Exception {
    List<Map<String, Object>> runs = new ArrayList<>();
    for (int run = 0; run < c.runs; run++) {
      Map<String, Object> r =
          e2eRun(
              results, c, l, kind, scenario, open, rate, concurrency, name, run, warmup, List.of());
      if (!Boolean.TRUE.equals(r.get("available"))) {
        return r;
      }
      runs.add(r);
    }
    return Medians.of(runs);
  }

  static Map<String, Object> e2eRun(
      Results results,
      Common c,
      Load l,
      Database.Kind kind,
      EndToEnd.Scenario scenario,
      boolean open,
      double rate,
      int concurrency,
      String name,
      int run,
      Duration warmup,
      List<String> extraNodeJvm)
      throws Exception {
    List<String> jvm = new ArrayList<>(c.nodeJvm);
    jvm.addAll(extraNodeJvm);
    try (Database db = Database.fresh(kind, name.replace("e2e-", "").replace(' ', '-'), c.keep);
        NodeProcess node = NodeProcess.start(c.nodeJar, db, jvm, Duration.ofMinutes(2));
        Http http = new Http(node, 4, Duration.ofSeconds(30))) {
      if (scenario != EndToEnd.Scenario.SINGLE) {
        Features f = Features.probe(http);
        String missing = missing(scenario, f);
        if (missing != null) {
          Map<String, Object> na = new LinkedHashMap<>();
          na.put("available", false);
          na.put("reason", missing + " not available in this build");
          System.err.println(name + " on " + kind + ": " + na.get("reason"));
          results.record(name, kind, run, na);
          return na;
        }
        if (f.budgets()) {
          http.await(http.put("/api/v1/budgets/bench", Map.of("limit", 1_000_000_000)));
        }
      }
      EndToEnd.Options o =
          new EndToEnd.Options(
              scenario,
              open,
              rate,
              concurrency,
              warmup,
              c.duration,
              l.workers,
              l.capacity,
              l.pollMax,
              scenario == EndToEnd.Scenario.RETRY || scenario == EndToEnd.Scenario.MIX
                  ? l.failFraction
                  : 0,
              l.children,
              "bench");
      Path jfr = null;
      if (l.jfr) {
        jfr =
            results
                .dir
                .resolve(name + "-" + kind.name().toLowerCase(Locale.ROOT) + "-" + run + ".jfr")
                .toAbsolutePath();
        node.jcmd(
            "JFR.start",
            "name=bench",
            "settings=" + Profile.settings(results.dir),
            "delay=" + (warmup.toSeconds() + 3) + "s",
            "duration=" + c.duration.toSeconds() + "s",
            "filename=" + jfr);
      }
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("available", true);
      r.put("node_start_s", EndToEnd.round(node.startTime.toMillis() / 1000.0));
      r.putAll(new EndToEnd(http, o).run(node, db));
      if (jfr != null && Files.exists(jfr)) {
        r.put("profile", Profile.summarise(jfr, 25));
      }
      System.err.println(name + " on " + kind + " run " + run + ": " + r);
      results.record(name, kind, run, r);
      return r;
    }
  }

  private static String missing(EndToEnd.Scenario scenario, Features f) {
    return switch (scenario) {
      case SINGLE -> null;
      case SPLIT -> f.split() ? null : "split missions (POST /api/v1/missions with \"split\")";
      case RETRY ->
          f.fail() ? null : "attempt failure (POST /api/v1/missions/{id}/attempts/{n}/fail)";
      case MIX ->
          !f.fail()
              ? "attempt failure (POST .../attempts/{n}/fail)"
              : !f.budgets() ? "budgets (PUT /api/v1/budgets/{scope})" : null;
    };
  }

  static void journal(
      Results results,
      Common c,
      Database.Kind kind,
      int entities,
      int tags,
      int batch,
      Map<String, String> overrides,
      String name)
      throws Exception {
    for (int run = 0; run < c.runs; run++) {
      journalRun(results, c, kind, entities, tags, batch, overrides, name, run);
    }
  }

  static Map<String, Object> journalRun(
      Results results,
      Common c,
      Database.Kind kind,
      int entities,
      int tags,
      int batch,
      Map<String, String> overrides,
      String name,
      int run)
      throws Exception {
    try (Database db = Database.fresh(kind, "journal", c.keep)) {
      Map<String, Object> r =
          JournalBench.run(
              db, new JournalBench.Options(entities, tags, c.warmup, c.duration, batch, overrides));
      System.err.println(name + " on " + kind + " run " + run + ": " + r);
      results.record(name, kind, run, r);
      return r;
    }
  }

  /**
   * The plugin's own write path (stock DAO, 8 batches in flight), for the pairs that show what
   * Muster's write path changes.
   */
  static final Map<String, String> STOCK_WRITE_PATH =
      Map.of(
          "jdbc-journal.dao",
          "org.apache.pekko.persistence.jdbc.journal.dao.DefaultJournalDao",
          "jdbc-journal.parallelism",
          "8");

  static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  static List<String> asSystemProperties(Map<String, String> settings) {
    return settings.entrySet().stream().map(e -> "-D" + e.getKey() + "=" + e.getValue()).toList();
  }

  /** Records {@code a / b} of some figures of two runs measured back to back. */
  static void recordRatios(
      Results results,
      String name,
      Database.Kind kind,
      int run,
      List<String> figures,
      Map<String, Object> a,
      Map<String, Object> b) {
    Map<String, Object> ratios = new LinkedHashMap<>();
    for (String figure : figures) {
      if (a.get(figure) instanceof Number x
          && b.get(figure) instanceof Number y
          && y.doubleValue() > 0) {
        ratios.put(figure + "_ratio", EndToEnd.round(x.doubleValue() / y.doubleValue()));
      }
    }
    results.record(name, kind, run, ratios);
  }

  static void scale(
      Results results,
      Common c,
      Database.Kind kind,
      List<Integer> levels,
      int missions,
      double probeRate,
      Duration passivate)
      throws Exception {
    try (Database db = Database.fresh(kind, "scale", c.keep)) {
      Map<String, Object> r =
          ScaleBench.run(
              c.nodeJar,
              db,
              new ScaleBench.Options(
                  levels,
                  missions,
                  64,
                  probeRate,
                  Duration.ofSeconds(5),
                  Duration.ofSeconds(20),
                  passivate,
                  c.nodeJvm));
      System.err.println("scale on " + kind + ": " + r);
      results.record("scale", kind, 0, r);
    }
  }

  static void backlogHandover(
      Results results, Common c, Database.Kind kind, BacklogBench.Options options)
      throws Exception {
    for (int run = 0; run < c.runs; run++) {
      try (Database db = Database.fresh(kind, "backlog", c.keep)) {
        Map<String, Object> r = BacklogBench.handover(c.nodeJar, db, options);
        System.err.println("backlog hand-over on " + kind + ", run " + run + ": " + r);
        results.record("backlog-handover", kind, run, r);
      }
    }
  }

  static void backlogWaiting(
      Results results, Common c, Database.Kind kind, BacklogBench.Options options)
      throws Exception {
    for (int run = 0; run < c.runs; run++) {
      try (Database db = Database.fresh(kind, "waiting", c.keep)) {
        Map<String, Object> r = BacklogBench.waiting(c.nodeJar, db, options);
        System.err.println("backlog waiting on " + kind + ", run " + run + ": " + r);
        results.record("backlog-waiting", kind, run, r);
      }
    }
  }

  // ---- results

  /** One invocation's results folder: every run as a JSON line, medians as JSON and CSV. */
  static final class Results {
    final Path dir;
    private final Map<String, List<Map<String, Object>>> byFigure = new LinkedHashMap<>();

    private Results(Path dir) {
      this.dir = dir;
    }

    static Results open(Path root, String command) throws IOException {
      String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
      Path dir = root.resolve(stamp + "-" + command);
      Files.createDirectories(dir);
      Map<String, Object> machine = Machine.describe();
      Files.writeString(
          dir.resolve("machine.json"),
          Http.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(machine));
      System.err.println("results in " + dir + "; machine " + machine);
      return new Results(dir);
    }

    synchronized void record(
        String name, Database.Kind kind, int run, Map<String, Object> figures) {
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("figure", name);
      line.put("db", kind.name().toLowerCase(Locale.ROOT));
      line.put("run", run);
      line.put("at", LocalDateTime.now().toString());
      line.put("load_avg", Machine.loadAverage());
      line.put("figures", figures);
      try {
        Files.writeString(
            dir.resolve("runs.jsonl"),
            Http.JSON.writeValueAsString(line) + "\n",
            StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      byFigure
          .computeIfAbsent(name + " [" + line.get("db") + "]", k -> new ArrayList<>())
          .add(figures);
    }

    void printTable() throws IOException {
      Map<String, Object> summary = new LinkedHashMap<>();
      StringBuilder csv = new StringBuilder("figure,key,median,runs\n");
      StringBuilder table = new StringBuilder();
      for (var e : byFigure.entrySet()) {
        Map<String, Object> medians = Medians.of(e.getValue());
        summary.put(e.getKey(), medians);
        table
            .append("\n== ")
            .append(e.getKey())
            .append(" (")
            .append(e.getValue().size())
            .append(" runs, medians)\n");
        List<Map<String, Object>> flat = e.getValue().stream().map(Medians::flatten).toList();
        for (var m : medians.entrySet()) {
          if (m.getKey().startsWith("profile.") || m.getKey().startsWith("overrides")) {
            continue;
          }
          List<Object> each = flat.stream().map(f -> f.get(m.getKey())).toList();
          table.append(
              String.format(
                  Locale.ROOT,
                  "  %-40s %14s   %s%n",
                  m.getKey(),
                  format(m.getValue()),
                  each.size() > 1 ? each : ""));
          csv.append('"')
              .append(e.getKey())
              .append("\",")
              .append(m.getKey())
              .append(',')
              .append(format(m.getValue()))
              .append(",\"")
              .append(each)
              .append("\"\n");
        }
      }
      Files.writeString(
          dir.resolve("summary.json"),
          Http.JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(summary));
      Files.writeString(dir.resolve("summary.csv"), csv);
      try (PrintWriter out = new PrintWriter(System.out, true)) {
        out.println(table);
        out.println("results: " + dir);
      }
    }

    private static String format(Object v) {
      if (v instanceof Double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15
            ? Long.toString(d.longValue())
            : String.format(Locale.ROOT, "%.2f", d);
      }
      return String.valueOf(v);
    }
  }

  /** picocli: "30s", "2m", "500ms" or an ISO-8601 duration. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String v = value.trim().toLowerCase(Locale.ROOT);
      if (v.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      }
      if (v.endsWith("s")) {
        return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
      }
      if (v.endsWith("m")) {
        return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
      }
      return Duration.parse(value);
    }
  }

  static List<String> split(String s) {
    return Arrays.asList(s.split(","));
  }
}
