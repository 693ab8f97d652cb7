package dev.muster.config.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.muster.config.CborSerializable;
import dev.muster.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal's batching write path on a real H2 file and a real PostgreSQL schema: many entities
 * persisting tagged events (some several at once) concurrently, read back by tag and by replay; and
 * a batch that conflicts with a stored event fails whole, leaving nothing behind.
 */
class BatchingJournalDaoTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final int ENTITIES = 40;
  private static final int COMMANDS = 15;

  record Added(int n) implements CborSerializable {}

  /** Persists {@code events} events at once, then replies with the entity's count. */
  record Add(int events, ActorRef<Integer> replyTo) implements CborSerializable {}

  static final class Tally extends EventSourcedBehavior<Add, Added, Integer> {
    private final int group;

    Tally(String id, int group) {
      super(PersistenceId.of("Tally", id));
      this.group = group;
    }

    @Override
    public Integer emptyState() {
      return 0;
    }

    @Override
    public CommandHandler<Add, Added, Integer> commandHandler() {
      return newCommandHandlerBuilder()
          .forAnyState()
          .onCommand(
              Add.class,
              (count, add) -> {
                List<Added> events = new ArrayList<>();
                for (int i = 1; i <= add.events(); i++) {
                  events.add(new Added(count + i));
                }
                return Effect().persist(events).thenReply(add.replyTo(), c -> c);
              })
          .build();
    }

    @Override
    public EventHandler<Integer, Added> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onEvent(Added.class, (c, e) -> e.n()).build();
    }

    @Override
    public Set<String> tagsFor(Added event) {
      return Set.of("tally", group % 2 == 0 ? "even" : "odd");
    }
  }

  @Test
  void writesTaggedBatchesThatReplayAndReadByTagOnH2(@TempDir Path dir) throws Exception {
    writesTaggedBatchesThatReplayAndReadByTag(TestDatabase.h2(dir).settings());
  }

  @Test
  void writesTaggedBatchesThatReplayAndReadByTagOnPostgres() throws Exception {
    try (TestDatabase pg = TestDatabase.postgres()) {
      writesTaggedBatchesThatReplayAndReadByTag(pg.settings());
    }
  }

  @Test
  void aConflictingBatchFailsWholeOnH2(@TempDir Path dir) throws Exception {
    aConflictingBatchFailsWhole(TestDatabase.h2(dir).settings());
  }

  @Test
  void aConflictingBatchFailsWholeOnPostgres() throws Exception {
    try (TestDatabase pg = TestDatabase.postgres()) {
      aConflictingBatchFailsWhole(pg.settings());
    }
  }

  private void writesTaggedBatchesThatReplayAndReadByTag(DatabaseSettings db) throws Exception {
    JournalMigrations.migrate(db);
    ActorSystem<Void> system = start(db, "write");
    Map<String, Integer> expected = new HashMap<>();
    try {
      // Every entity runs its commands one after another, all entities at once: the write queue
      // gathers events of many entities into each batch. Commands persist 1, 2 or 3 events.
      List<CompletableFuture<Integer>> done = new ArrayList<>();
      int expectedEvents = 0;
      for (int e = 0; e < ENTITIES; e++) {
        ActorRef<Add> tally = system.systemActorOf(new Tally("t" + e, e), "t" + e, Props.empty());
        CompletableFuture<Integer> chain = CompletableFuture.completedFuture(0);
        int total = 0;
        for (int c = 0; c < COMMANDS; c++) {
          int events = 1 + (c + e) % 3;
          total += events;
          chain = chain.thenCompose(ignored -> add(system, tally, events));
        }
        expected.put("Tally|t" + e, total);
        expectedEvents += total;
        done.add(chain);
      }
      for (int e = 0; e < ENTITIES; e++) {
        assertEquals(expected.get("Tally|t" + e), done.get(e).get(30, TimeUnit.SECONDS));
      }
      assertTrue(
          Thread.getAllStackTraces().keySet().stream()
              .anyMatch(t -> t.getName().startsWith("muster-journal-writer-")),
          "the events went through BatchingJournalDao");

      List<EventEnvelope> all = byTag(system, "tally");
      assertEquals(expectedEvents, all.size());
      Map<String, Long> lastSequence = new HashMap<>();
      long lastOffset = 0;
      for (EventEnvelope envelope : all) {
        long offset = ((Sequence) envelope.offset()).value();
        assertTrue(offset > lastOffset, "offsets increase");
        lastOffset = offset;
        long previous = lastSequence.getOrDefault(envelope.persistenceId(), 0L);
        assertEquals(previous + 1, envelope.sequenceNr(), "each entity's events in order");
        assertEquals((int) envelope.sequenceNr(), ((Added) envelope.event()).n());
        lastSequence.put(envelope.persistenceId(), envelope.sequenceNr());
      }
      assertEquals(expected.keySet(), lastSequence.keySet());
      int even = byTag(system, "even").size();
      int odd = byTag(system, "odd").size();
      assertEquals(expectedEvents, even + odd);
      assertEquals(2L * expectedEvents, count(db, "SELECT COUNT(*) FROM \"event_tag\""));
    } finally {
      stop(system);
    }

    // A new incarnation replays every entity's events from the journal.
    ActorSystem<Void> again = start(db, "replay");
    try {
      for (int e = 0; e < ENTITIES; e++) {
        ActorRef<Add> tally = again.systemActorOf(new Tally("t" + e, e), "t" + e, Props.empty());
        assertEquals(
            expected.get("Tally|t" + e) + 1, add(again, tally, 1).get(30, TimeUnit.SECONDS));
      }
    } finally {
      stop(again);
    }
  }

  private void aConflictingBatchFailsWhole(DatabaseSettings db) throws Exception {
    JournalMigrations.migrate(db);
    ActorSystem<Void> system = start(db, "conflict");
    try {
      ActorRef<Add> victim = system.systemActorOf(new Tally("victim", 0), "victim", Props.empty());
      ActorRef<Add> bystander =
          system.systemActorOf(new Tally("bystander", 1), "bystander", Props.empty());
      assertEquals(1, add(system, bystander, 1).get(30, TimeUnit.SECONDS));
      assertEquals(1, add(system, victim, 1).get(30, TimeUnit.SECONDS));
      // Someone else writes the victim's next sequence number behind its back: its next batch
      // (events 2 and 3, one atomic write) conflicts on the primary key.
      copyEvent(db, "Tally|victim", 1, 2);
      ExecutionException failed =
          assertThrows(
              ExecutionException.class,
              () -> add(system, victim, 2, Duration.ofSeconds(3)).get(30, TimeUnit.SECONDS));
      // The entity stops when its write fails (Pekko's rule for a failed persist), so no reply.
      assertTrue(failed.getCause() instanceof java.util.concurrent.TimeoutException);
      assertEquals(
          2,
          count(
              db,
              "SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = 'Tally|victim'"));
      assertEquals(
          1,
          count(
              db,
              "SELECT COUNT(*) FROM \"event_tag\" t JOIN \"event_journal\" j ON t.\"event_id\" = j.\"ordering\""
                  + " WHERE j.\"persistence_id\" = 'Tally|victim' AND t.\"tag\" = 'tally'"));
      // The writer rolled back and goes on: later batches are written.
      assertEquals(2, add(system, bystander, 1).get(30, TimeUnit.SECONDS));
    } finally {
      stop(system);
    }
  }

  private static CompletableFuture<Integer> add(
      ActorSystem<Void> system, ActorRef<Add> tally, int events) {
    return add(system, tally, events, TIMEOUT);
  }

  private static CompletableFuture<Integer> add(
      ActorSystem<Void> system, ActorRef<Add> tally, int events, Duration timeout) {
    return AskPattern.<Add, Integer>ask(
            tally, reply -> new Add(events, reply), timeout, system.scheduler())
        .toCompletableFuture();
  }

  private static List<EventEnvelope> byTag(ActorSystem<Void> system, String tag) throws Exception {
    JdbcReadJournal journal =
        PersistenceQuery.get(system)
            .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    return journal
        .currentEventsByTag(tag, Sequence.apply(0))
        .runWith(Sink.seq(), system)
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
  }

  /** Writes a copy of a stored event under another sequence number, as a second writer would. */
  private static void copyEvent(DatabaseSettings db, String persistenceId, long from, long to)
      throws Exception {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        PreparedStatement copy =
            c.prepareStatement(
                "INSERT INTO \"event_journal\" (\"persistence_id\", \"sequence_number\", \"deleted\", \"writer\","
                    + " \"write_timestamp\", \"adapter_manifest\", \"event_ser_id\", \"event_ser_manifest\","
                    + " \"event_payload\") SELECT \"persistence_id\", ?, \"deleted\", 'someone-else',"
                    + " \"write_timestamp\", \"adapter_manifest\", \"event_ser_id\", \"event_ser_manifest\","
                    + " \"event_payload\" FROM \"event_journal\" WHERE \"persistence_id\" = ? AND"
                    + " \"sequence_number\" = ?")) {
      copy.setLong(1, to);
      copy.setString(2, persistenceId);
      copy.setLong(3, from);
      assertEquals(1, copy.executeUpdate());
    }
  }

  private static long count(DatabaseSettings db, String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static ActorSystem<Void> start(DatabaseSettings db, String name) {
    var config =
        ConfigFactory.parseString("pekko.actor.provider = local")
            .withFallback(PersistenceConfig.forDatabase(db))
            .withFallback(ConfigFactory.load());
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), name, config);
    SerializationExtension.get(system);
    return system;
  }

  private static void stop(ActorSystem<Void> system) throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
