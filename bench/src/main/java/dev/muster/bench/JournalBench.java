package dev.muster.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.muster.config.CborSerializable;
import dev.muster.config.persistence.DatabaseSettings;
import dev.muster.config.persistence.JournalMigrations;
import dev.muster.config.persistence.PersistenceConfig;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;

/**
 * The journal micro-benchmark: events/s through the node's persistence path alone (an
 * EventSourcedBehavior per entity, pekko-persistence-jdbc configured by {@link PersistenceConfig}
 * after {@link JournalMigrations}, like the node) against plain batched JDBC inserts of rows of the
 * same shape and size into the same event_journal table, in the same run.
 */
final class JournalBench {
  /** A small event, serialized like every Muster event (jackson-cbor). */
  record Bumped(long n, String note) implements CborSerializable {}

  record Bump(ActorRef<Done> replyTo) implements CborSerializable {}

  static final class Counter extends EventSourcedBehavior<Bump, Bumped, Long> {
    private final Set<String> tags;

    Counter(PersistenceId id, int tags) {
      super(id);
      this.tags =
          IntStream.range(0, tags)
              .mapToObj(i -> "bench-" + i)
              .collect(Collectors.toUnmodifiableSet());
    }

    /** Muster's events carry one or two tags (the read side follows them); the bench can too. */
    @Override
    public Set<String> tagsFor(Bumped event) {
      return tags;
    }

    @Override
    public Long emptyState() {
      return 0L;
    }

    @Override
    public CommandHandler<Bump, Bumped, Long> commandHandler() {
      return newCommandHandlerBuilder()
          .forAnyState()
          .onCommand(
              Bump.class,
              (state, bump) ->
                  Effect()
                      .persist(new Bumped(state + 1, "bench"))
                      .thenRun(s -> bump.replyTo().tell(Done.getInstance())))
          .build();
    }

    @Override
    public EventHandler<Long, Bumped> eventHandler() {
      return newEventHandlerBuilder()
          .forAnyState()
          .onEvent(Bumped.class, (state, event) -> event.n())
          .build();
    }
  }

  record Options(
      int entities,
      int tags,
      Duration warmup,
      Duration duration,
      int batch,
      Map<String, String> overrides) {}

  static Map<String, Object> run(Database db, Options o) throws Exception {
    Map<String, Object> values = new HashMap<>();
    values.putAll(db.nodeEnvAsSettings());
    Config all = ConfigFactory.parseMap(values).withFallback(ConfigFactory.load());
    DatabaseSettings settings = DatabaseSettings.from(all.getConfig("muster"), db.dataDir);
    JournalMigrations.migrate(settings);

    Map<String, Object> out = new LinkedHashMap<>();
    out.put("entities", o.entities());
    out.put("tags_per_event", o.tags());
    out.put("overrides", o.overrides());
    Config config =
        ConfigFactory.parseMap(new HashMap<String, Object>(o.overrides()))
            .withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
            .withFallback(PersistenceConfig.forDatabase(settings))
            .withFallback(ConfigFactory.load());
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "journal-bench", config);
    byte[] payload;
    int serializerId;
    String manifest;
    try {
      Serialization serialization = SerializationExtension.get(system);
      Bumped sample = new Bumped(123_456, "bench");
      var serializer = serialization.findSerializerFor(sample);
      payload = serializer.toBinary(sample);
      serializerId = serializer.identifier();
      manifest = Serializers.manifestFor(serializer, sample);
      out.put("event_bytes", payload.length);
      out.putAll(persistencePath(system, o));
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    Map<String, Object> raw = rawInserts(settings, o, payload, serializerId, manifest);
    out.putAll(raw);
    double journal = ((Number) out.get("journal_events_per_s")).doubleValue();
    double plain = ((Number) out.get("raw_rows_per_s")).doubleValue();
    out.put("ratio_journal_to_raw", Math.round(journal / plain * 10_000) / 10_000.0);
    return out;
  }

  private static Map<String, Object> persistencePath(ActorSystem<Void> system, Options o)
      throws Exception {
    List<ActorRef<Bump>> entities = new ArrayList<>();
    String run = Long.toString(System.nanoTime(), 36);
    for (int i = 0; i < o.entities(); i++) {
      PersistenceId id = PersistenceId.of("BenchCounter", run + "-" + i);
      entities.add(
          system.systemActorOf(
              new Counter(id, o.tags()),
              "counter-" + i,
              org.apache.pekko.actor.typed.Props.empty()));
    }
    LongAdder persisted = new LongAdder();
    LongAdder failures = new LongAdder();
    var running = new java.util.concurrent.atomic.AtomicBoolean(true);
    for (ActorRef<Bump> entity : entities) {
      loop(system, entity, persisted, failures, running);
    }
    var os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    TimeUnit.NANOSECONDS.sleep(o.warmup().toNanos());
    long before = persisted.sum();
    long cpu0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    TimeUnit.NANOSECONDS.sleep(o.duration().toNanos());
    long after = persisted.sum();
    long seconds = System.nanoTime() - t0;
    long cpu1 = os.getProcessCpuTime();
    running.set(false);
    Thread.sleep(500);
    Map<String, Object> out = new LinkedHashMap<>();
    double s = seconds / 1e9;
    out.put("journal_events_per_s", EndToEnd.round((after - before) / s));
    out.put("journal_jvm_cpu_cores", EndToEnd.round((cpu1 - cpu0) / 1e9 / s));
    out.put("journal_failures", failures.sum());
    return out;
  }

  private static void loop(
      ActorSystem<Void> system,
      ActorRef<Bump> entity,
      LongAdder persisted,
      LongAdder failures,
      java.util.concurrent.atomic.AtomicBoolean running) {
    if (!running.get()) {
      return;
    }
    CompletionStage<Done> reply =
        AskPattern.ask(entity, Bump::new, Duration.ofSeconds(30), system.scheduler());
    reply.whenComplete(
        (done, failure) -> {
          if (failure == null) {
            persisted.increment();
          } else {
            failures.increment();
          }
          loop(system, entity, persisted, failures, running);
        });
  }

  private static Map<String, Object> rawInserts(
      DatabaseSettings settings, Options o, byte[] payload, int serializerId, String manifest)
      throws Exception {
    String sql =
        "INSERT INTO \"event_journal\" (\"deleted\", \"persistence_id\", \"sequence_number\","
            + " \"writer\", \"write_timestamp\", \"adapter_manifest\", \"event_payload\","
            + " \"event_ser_id\", \"event_ser_manifest\") VALUES (false, ?, ?, ?, ?, '', ?, ?, ?)";
    var os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    try (Connection c =
        DriverManager.getConnection(settings.jdbcUrl(), settings.user(), settings.password())) {
      c.setAutoCommit(false);
      String run = "raw-" + Long.toString(System.nanoTime(), 36);
      long seq = 0;
      long warmupEnd = System.nanoTime() + o.warmup().toNanos();
      long t0 = 0;
      long rows = 0;
      long cpu0 = 0;
      long end = Long.MAX_VALUE;
      try (PreparedStatement insert = c.prepareStatement(sql)) {
        while (true) {
          long now = System.nanoTime();
          if (t0 == 0 && now >= warmupEnd) {
            t0 = now;
            rows = 0;
            cpu0 = os.getProcessCpuTime();
            end = t0 + o.duration().toNanos();
          }
          if (now >= end) {
            break;
          }
          for (int i = 0; i < o.batch(); i++) {
            seq++;
            insert.setString(1, run + "-" + (seq % Math.max(1, o.entities())));
            insert.setLong(2, seq);
            insert.setString(3, run);
            insert.setLong(4, System.currentTimeMillis());
            insert.setBytes(5, payload);
            insert.setInt(6, serializerId);
            insert.setString(7, manifest);
            insert.addBatch();
          }
          insert.executeBatch();
          c.commit();
          rows += o.batch();
        }
      }
      double s = (System.nanoTime() - t0) / 1e9;
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("raw_batch", o.batch());
      out.put("raw_rows_per_s", EndToEnd.round(rows / s));
      out.put("raw_jvm_cpu_cores", EndToEnd.round((os.getProcessCpuTime() - cpu0) / 1e9 / s));
      return out;
    }
  }
}
