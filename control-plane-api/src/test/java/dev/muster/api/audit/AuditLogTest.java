package dev.muster.api.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.muster.config.SettingsException;
import dev.muster.config.persistence.DatabaseSettings;
import dev.muster.testing.Eventually;
import dev.muster.testing.OneNodeCluster;
import dev.muster.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.NoOffset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByTagQuery;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The audit log on a one-node cluster over a real H2 journal: what a completed stage promises is in
 * the journal, concurrent records share writes, a full buffer refuses at once, and a failed write
 * fails only its own batch.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuditLogTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final Instant T0 = Instant.parse("2026-11-30T10:00:00Z");

  @TempDir static Path dataDir;

  @JUnit5TestKit ActorTestKit testKit;

  private ActorSystem<?> system;
  private AuditSettings defaults;

  @BeforeAll
  void startNode() {
    testKit =
        OneNodeCluster.start(
            "audit-log",
            dataDir,
            """
            muster.audit.persist-failure.min-backoff = 50ms
            muster.audit.persist-failure.max-backoff = 200ms
            """);
    system = testKit.system();
    defaults = AuditSettings.from(system.settings().config());
  }

  private AuditSettings settings(int maxBatch, int maxPending) {
    return new AuditSettings(
        maxBatch,
        maxPending,
        defaults.maxScan(),
        defaults.readJournal(),
        defaults.persistFailure());
  }

  private static AuditRecord record(String requestId) {
    return new AuditRecord(
        T0,
        "alice",
        Optional.of("laptop"),
        Optional.of("ws-1"),
        "POST",
        "/api/v1/missions/{id}/cancel",
        List.of("m-" + requestId),
        202,
        requestId);
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** What the journal holds under the log's persistence id, read straight away, in order. */
  private List<AuditRecord> journalOf(AuditLog log) throws Exception {
    return await(
        PersistenceQuery.get(system)
            .getReadJournalFor(CurrentEventsByPersistenceIdQuery.class, defaults.readJournal())
            .currentEventsByPersistenceId(log.persistenceId(), 0L, Long.MAX_VALUE)
            .map(envelope -> (AuditRecord) envelope.event())
            .runWith(Sink.seq(), system));
  }

  private static List<String> requestIds(List<AuditRecord> records) {
    return records.stream().map(AuditRecord::requestId).toList();
  }

  private static Connection database() throws Exception {
    DatabaseSettings db = TestDatabase.h2(dataDir).settings();
    return DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
  }

  @Test
  void aRecordIsInTheJournalWhenItsStageCompletes() throws Exception {
    AuditLog log = AuditLog.start(system, defaults);
    List<AuditRecord> written = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      AuditRecord record = record("durable-" + i);
      await(log.record(record));
      written.add(record);
      // read at once, no waiting: the completed stage promised it is there
      assertEquals(written, journalOf(log));
    }
    assertTrue(log.persistenceId().startsWith("audit|"), log.persistenceId());
    CurrentEventsByTagQuery byTag =
        PersistenceQuery.get(system)
            .getReadJournalFor(CurrentEventsByTagQuery.class, defaults.readJournal());
    Eventually.assertWithin(
        TIMEOUT,
        () ->
            assertEquals(
                written,
                await(
                    byTag
                        .currentEventsByTag(AuditLog.TAG, NoOffset.getInstance())
                        .filter(e -> e.persistenceId().equals(log.persistenceId()))
                        .map(EventEnvelope::event)
                        .runWith(Sink.seq(), system))));
  }

  @Test
  void concurrentRecordsAllLandOnceInFewerWritesThanRecords() throws Exception {
    int maxBatch = 50;
    int threads = 8;
    int perThread = 100;
    AuditLog log = AuditLog.start(system, settings(maxBatch, 10_000));
    ExecutorService callers = Executors.newFixedThreadPool(threads);
    List<Future<List<CompletionStage<Done>>>> submitted = new ArrayList<>();
    try {
      for (int t = 0; t < threads; t++) {
        int thread = t;
        submitted.add(
            callers.submit(
                () -> {
                  List<CompletionStage<Done>> stages = new ArrayList<>();
                  for (int i = 0; i < perThread; i++) {
                    stages.add(log.record(record("concurrent-" + thread + "-" + i)));
                  }
                  return stages;
                }));
      }
      for (Future<List<CompletionStage<Done>>> f : submitted) {
        for (CompletionStage<Done> stage : f.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          await(stage);
        }
      }
    } finally {
      callers.shutdownNow();
    }
    int records = threads * perThread;
    List<String> inJournal = requestIds(journalOf(log));
    assertEquals(records, inJournal.size());
    assertEquals(records, new HashSet<>(inJournal).size());
    long writes = log.batchesWritten();
    assertTrue(writes < records, writes + " journal writes for " + records + " records");
    assertTrue(writes >= records / maxBatch, writes + " writes cannot hold batches of " + maxBatch);
  }

  @Test
  void beyondMaxPendingARecordIsRefusedAtOnceAndNothingIsLost() throws Exception {
    int maxPending = 10;
    AuditLog log = AuditLog.start(system, settings(maxPending, maxPending));
    List<CompletionStage<Done>> accepted = new ArrayList<>();
    List<String> acceptedIds = new ArrayList<>();
    CompletableFuture<Done> refused = null;
    for (int i = 0; i < 100_000 && refused == null; i++) {
      CompletableFuture<Done> stage = log.record(record("pending-" + i)).toCompletableFuture();
      if (stage.isCompletedExceptionally()) {
        refused = stage;
      } else {
        accepted.add(stage);
        acceptedIds.add("pending-" + i);
      }
    }
    assertTrue(refused != null, "no record was refused with max-pending " + maxPending);
    assertTrue(accepted.size() >= maxPending, accepted.size() + " accepted before the refusal");
    ExecutionException failure = assertThrows(ExecutionException.class, refused::get);
    assertInstanceOf(AuditLog.BufferFull.class, failure.getCause());
    for (CompletionStage<Done> stage : accepted) {
      await(stage);
    }
    assertEquals(acceptedIds, requestIds(journalOf(log)));
    await(log.record(record("after-the-flood")));
  }

  @Test
  void aFailedWriteFailsItsBatchAndTheLogGoesOnWithLaterRecords() throws Exception {
    AuditLog log = AuditLog.start(system, defaults);
    await(log.record(record("before-the-failure")));
    CompletableFuture<Done> lost;
    try (Connection connection = database();
        Statement statement = connection.createStatement()) {
      statement.execute("ALTER TABLE \"event_tag\" RENAME TO \"event_tag_away\"");
      try {
        lost = log.record(record("lost")).toCompletableFuture();
        ExecutionException failure =
            assertThrows(
                ExecutionException.class,
                () -> lost.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
        assertInstanceOf(AuditLog.WriteFailed.class, failure.getCause());
      } finally {
        statement.execute("ALTER TABLE \"event_tag_away\" RENAME TO \"event_tag\"");
      }
    }
    await(log.record(record("after-the-failure")));
    assertEquals(List.of("before-the-failure", "after-the-failure"), requestIds(journalOf(log)));
  }

  @Test
  void recordsAreWrittenWithTheirOwnSerializerAndNoClassNameInTheJournal() throws Exception {
    Serialization serialization = SerializationExtension.get(system);
    AuditRecord record = record("serialized");
    Serializer serializer = serialization.findSerializerFor(record);
    String manifest = Serializers.manifestFor(serializer, record);
    assertEquals(4_711_002, serializer.identifier());
    assertEquals("", manifest);
    byte[] bytes = serialization.serialize(record).get();
    assertEquals(record, serialization.deserialize(bytes, serializer.identifier(), manifest).get());

    AuditLog log = AuditLog.start(system, defaults);
    await(log.record(record));
    try (Connection connection = database();
        PreparedStatement query =
            connection.prepareStatement(
                "SELECT \"event_ser_id\", \"event_ser_manifest\" FROM \"event_journal\""
                    + " WHERE \"persistence_id\" = ?")) {
      query.setString(1, log.persistenceId());
      try (ResultSet row = query.executeQuery()) {
        assertTrue(row.next());
        assertEquals(4_711_002, row.getInt(1));
        assertEquals("", row.getString(2));
        assertFalse(row.next());
      }
    }
  }

  @Test
  void aRecordIsAlwaysWritable() throws Exception {
    AuditRecord odd =
        new AuditRecord(
            T0, "al\uD800ice", null, null, "POST", "/x", null, 400, "req-\uDC00\uD83D\uDE00");
    assertEquals("al\uFFFDice", odd.subject());
    assertEquals("req-\uFFFD\uD83D\uDE00", odd.requestId());
    assertEquals(Optional.empty(), odd.deviceName());
    assertEquals(Optional.empty(), odd.workspace());
    assertEquals(List.of(), odd.targets());
    AuditLog log = AuditLog.start(system, defaults);
    await(log.record(odd));
    assertEquals(List.of(odd), journalOf(log));
    assertThrows(
        NullPointerException.class,
        () -> new AuditRecord(T0, null, null, null, "POST", "/x", null, 200, "r"));
    List<String> withNull = new ArrayList<>();
    withNull.add(null);
    assertThrows(
        NullPointerException.class,
        () -> new AuditRecord(T0, "a", null, null, "POST", "/x", withNull, 200, "r"));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "muster.audit.max-batch = 0 | audit.max-batch",
        "muster.audit.max-pending = -1 | audit.max-pending",
        "muster.audit.max-scan = 0 | audit.max-scan",
        "muster.audit.read-journal = \"\" | audit.read-journal",
        "muster.audit.persist-failure.max-backoff = 1ms | audit.persist-failure.max-backoff",
        "muster.audit.persist-failure.random-factor = 2 | audit.persist-failure.random-factor",
      })
  void aBadSettingIsRefusedNamingItsKey(String config, String key) {
    SettingsException refused =
        assertThrows(
            SettingsException.class,
            () ->
                AuditSettings.from(
                    ConfigFactory.parseString(config)
                        .withFallback(ConfigFactory.load())
                        .resolve()));
    assertTrue(refused.getMessage().contains(key), refused.getMessage());
  }

  @Test
  void theDefaultsRead() {
    AuditSettings settings = AuditSettings.from(ConfigFactory.load());
    assertEquals(500, settings.maxBatch());
    assertEquals(10_000, settings.maxPending());
    assertEquals(5_000, settings.maxScan());
    assertEquals("jdbc-read-journal", settings.readJournal());
  }
}
