package dev.muster.registry.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.muster.config.json.Json;
import dev.muster.config.persistence.DatabaseSettings;
import dev.muster.config.persistence.JournalMigrations;
import dev.muster.config.persistence.PersistenceConfig;
import dev.muster.registry.RegistrySettings;
import dev.muster.registry.inbox.Inbox;
import dev.muster.registry.participant.Participant;
import dev.muster.registry.participant.Participant.Kind;
import dev.muster.registry.participant.Participant.Registration;
import dev.muster.registry.participant.Participant.Status;
import dev.muster.registry.participant.Participant.View;
import dev.muster.testing.Eventually;
import dev.muster.testing.TestDatabase;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The capability index and both entities on a one-node cluster over a real H2 journal: participants
 * registered through sharding show up in select() once their events are in the journal.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CapabilityIndexJournalTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @TempDir static Path dataDir;

  @JUnit5TestKit ActorTestKit testKit;

  private ActorSystem<?> system;
  private RegistrySettings settings;
  private CapabilityIndex index;

  @BeforeAll
  void startNode() {
    DatabaseSettings db = TestDatabase.h2(dataDir).settings();
    JournalMigrations.migrate(db);
    Config config =
        ConfigFactory.parseString(
                """
                pekko.actor.provider = cluster
                pekko.remote.artery.canonical.hostname = "127.0.0.1"
                pekko.remote.artery.canonical.port = 0
                pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
                muster.registry.index.batch-window = 5ms
                # See new events sooner than the defaults (200ms polls, 1s max-ordering refresh).
                jdbc-read-journal.refresh-interval = 50ms
                jdbc-read-journal.journal-sequence-retrieval.query-delay = 50ms
                """)
            .withFallback(PersistenceConfig.forDatabase(db))
            .withFallback(ConfigFactory.load())
            .resolve();
    testKit = ActorTestKit.create("registry", config);
    system = testKit.system();
    Cluster cluster = Cluster.get(system);
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    Eventually.assertWithin(
        TIMEOUT, () -> assertEquals(MemberStatus.up(), cluster.selfMember().status()));
    settings = RegistrySettings.load(system);
    Participant.init(system, Clock.systemUTC());
    Inbox.init(system, settings, Clock.systemUTC());
    index = CapabilityIndex.get(system);
  }

  private View participant(
      String id, Function<ActorRef<StatusReply<View>>, Participant.Command> command)
      throws Exception {
    return ClusterSharding.get(system)
        .entityRefFor(Participant.ENTITY_TYPE_KEY, id)
        .askWithStatus(command::apply, TIMEOUT)
        .toCompletableFuture()
        .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
  }

  private void register(String id, String workspace, Set<String> capabilities, int max)
      throws Exception {
    register(id, workspace, Set.of("worker"), capabilities, max);
  }

  private void register(
      String id, String workspace, Set<String> roles, Set<String> capabilities, int max)
      throws Exception {
    Registration registration =
        new Registration(workspace, Kind.FLEET_WORKER, roles, capabilities, max);
    participant(id, replyTo -> new Participant.Register(registration, replyTo));
  }

  private void awaitIndexed(CapabilityIndex index, String... ids) {
    Eventually.assertWithin(
        TIMEOUT,
        () -> {
          for (String id : ids) {
            assertTrue(index.lookup(id).isPresent(), id + " is not indexed yet");
          }
        });
  }

  @Test
  void selectsCapableParticipantsOfTheWorkspaceInTurn() throws Exception {
    register("a1", "ws-a", Set.of("java", "maven"), 2);
    register("a2", "ws-a", Set.of("java"), 2);
    register("a3", "ws-a", Set.of("reviewer"), Set.of("java"), 2);
    register("b1", "ws-b", Set.of("java"), 2);
    awaitIndexed(index, "a1", "a2", "a3", "b1");

    Set<String> turns = new HashSet<>();
    for (int i = 0; i < 3; i++) {
      turns.add(index.select("ws-a", Set.of("java"), Set.of("worker"), Set.of()).orElseThrow());
    }
    assertEquals(Set.of("a1", "a2"), turns);
    assertEquals(Optional.of("a1"), index.select("ws-a", Set.of("maven"), Set.of(), Set.of()));
    assertEquals(
        Optional.of("a3"), index.select("ws-a", Set.of("java"), Set.of("reviewer"), Set.of()));
    assertEquals(
        Optional.empty(),
        index.select("ws-a", Set.of("java"), Set.of("worker"), Set.of("a1", "a2")));
    assertEquals(Optional.of("b1"), index.select("ws-b", Set.of("java"), Set.of(), Set.of()));
    assertEquals(Optional.empty(), index.select("ws-b", Set.of("rust"), Set.of(), Set.of()));
    assertEquals(Optional.empty(), index.select("ws-none", Set.of(), Set.of(), Set.of()));
    assertTrue(index.ready());
  }

  @Test
  void respectsCapacityAndPrefersTheLeastLoaded() throws Exception {
    register("c1", "ws-c", Set.of("go"), 1);
    register("c2", "ws-c", Set.of("go"), 2);
    awaitIndexed(index, "c1", "c2");

    assertEquals(
        Optional.of("c1"), index.selectAndAssign("ws-c", Set.of("go"), Set.of(), Set.of()));
    assertEquals(
        Optional.of("c2"), index.selectAndAssign("ws-c", Set.of("go"), Set.of(), Set.of()));
    assertEquals(
        Optional.of("c2"), index.selectAndAssign("ws-c", Set.of("go"), Set.of(), Set.of()));
    assertEquals(Optional.empty(), index.select("ws-c", Set.of("go"), Set.of(), Set.of()));
    index.released("c1");
    assertEquals(0, index.inFlight("c1"));
    assertEquals(Optional.of("c1"), index.select("ws-c", Set.of("go"), Set.of(), Set.of()));
    index.released("c2");
    index.released("c2");
    index.released("c2");
    assertEquals(0, index.inFlight("c2"));
  }

  /**
   * The index's selection (with its fast path for idle participants) makes the same choice as
   * FairSelection over every candidate, over a seeded random run of selections and releases.
   */
  @Test
  void choosesLikeFairSelectionOverEveryCandidate() throws Exception {
    List<String> capabilities = List.of("x", "y", "z");
    Random random = new Random(42);
    Map<String, Set<String>> capabilitiesOf = new HashMap<>();
    Map<String, Integer> capacityOf = new HashMap<>();
    for (int i = 0; i < 9; i++) {
      String id = "f" + i;
      Set<String> has = new HashSet<>();
      for (String c : capabilities) {
        if (random.nextInt(3) > 0) {
          has.add(c);
        }
      }
      capabilitiesOf.put(id, has);
      capacityOf.put(id, 1 + random.nextInt(3));
      register(id, "ws-fair", has, capacityOf.get(id));
    }
    awaitIndexed(index, capabilitiesOf.keySet().toArray(String[]::new));
    Map<String, Integer> inFlight = new HashMap<>();
    Optional<String> last = Optional.empty();
    for (int step = 0; step < 400; step++) {
      List<String> busy =
          inFlight.entrySet().stream().filter(e -> e.getValue() > 0).map(e -> e.getKey()).toList();
      if (!busy.isEmpty() && random.nextInt(3) == 0) {
        String done = busy.get(random.nextInt(busy.size()));
        index.released(done);
        inFlight.merge(done, -1, Integer::sum);
        continue;
      }
      Set<String> required =
          random.nextBoolean() ? Set.of() : Set.of(capabilities.get(random.nextInt(3)));
      Set<String> exclude = random.nextInt(4) == 0 ? Set.of("f" + random.nextInt(9)) : Set.of();
      List<FairSelection.Candidate> candidates =
          capabilitiesOf.keySet().stream()
              .filter(id -> !exclude.contains(id) && capabilitiesOf.get(id).containsAll(required))
              .map(
                  id ->
                      new FairSelection.Candidate(
                          id, inFlight.getOrDefault(id, 0), capacityOf.get(id)))
              .toList();
      Optional<String> expected = FairSelection.choose(candidates, last);
      Optional<String> chosen = index.selectAndAssign("ws-fair", required, Set.of(), exclude);
      assertEquals(expected, chosen, "step " + step + ", in flight " + inFlight);
      if (chosen.isPresent()) {
        inFlight.merge(chosen.get(), 1, Integer::sum);
        last = chosen;
      }
    }
  }

  @Test
  void drainedAndStoodDownParticipantsAreNotSelected() throws Exception {
    register("d1", "ws-d", Set.of("py"), 1);
    register("d2", "ws-d", Set.of("py"), 1);
    awaitIndexed(index, "d1", "d2");

    participant("d1", Participant.Drain::new);
    Eventually.assertWithin(
        TIMEOUT, () -> assertEquals(Status.DRAINING, index.lookup("d1").orElseThrow().status()));
    for (int i = 0; i < 3; i++) {
      assertEquals(Optional.of("d2"), index.select("ws-d", Set.of("py"), Set.of(), Set.of()));
    }
    participant("d2", replyTo -> new Participant.StandDown("mission cancelled", replyTo));
    Eventually.assertWithin(
        TIMEOUT,
        () -> assertEquals(Optional.empty(), index.select("ws-d", Set.of(), Set.of(), Set.of())));
  }

  @Test
  void updatedCapabilitiesAreSelectedBy() throws Exception {
    register("u1", "ws-u", Set.of("java"), 1);
    participant(
        "u1",
        replyTo ->
            new Participant.Update(
                Participant.Changes.NONE.withCapabilities(Set.of("kotlin")), "ops", replyTo));
    Eventually.assertWithin(
        TIMEOUT,
        () ->
            assertEquals(
                Optional.of("u1"), index.select("ws-u", Set.of("kotlin"), Set.of(), Set.of())));
    assertEquals(Optional.empty(), index.select("ws-u", Set.of("java"), Set.of(), Set.of()));
  }

  @Test
  void aNewIndexCatchesUpFromTheJournal() throws Exception {
    register("r1", "ws-r", Set.of("c"), 1);
    participant("r1", Participant.Heartbeat::new);
    awaitIndexed(index, "r1");
    Eventually.assertWithin(
        TIMEOUT, () -> assertTrue(index.lookup("r1").orElseThrow().sequenceNr() >= 2));

    CapabilityIndex restarted = CapabilityIndex.start(system, settings, Clock.systemUTC());
    try {
      Eventually.assertWithin(TIMEOUT, () -> assertTrue(restarted.ready()));
      assertTrue(restarted.lookup("r1").isPresent(), "ready means the stored events are folded");
      Eventually.assertWithin(
          TIMEOUT, () -> assertEquals(index.lookup("r1"), restarted.lookup("r1")));
      assertEquals(Optional.of("r1"), restarted.select("ws-r", Set.of("c"), Set.of(), Set.of()));
    } finally {
      restarted.stop();
    }
  }

  @Test
  void aParticipantNotHeardOfWithinTheWindowIsNotSelected() throws Exception {
    register("s1", "ws-s", Set.of("sql"), 1);
    awaitIndexed(index, "s1");
    Clock later = Clock.offset(Clock.systemUTC(), settings.livenessWindow().plusSeconds(1));
    CapabilityIndex future = CapabilityIndex.start(system, settings, later);
    try {
      awaitIndexed(future, "s1");
      assertEquals(Status.ACTIVE, future.lookup("s1").orElseThrow().status());
      assertEquals(Optional.empty(), future.select("ws-s", Set.of("sql"), Set.of(), Set.of()));
      assertEquals(Optional.of("s1"), index.select("ws-s", Set.of("sql"), Set.of(), Set.of()));
    } finally {
      future.stop();
    }
  }

  @Test
  void anInboxDeliversAndAcksOverTheRealJournal() throws Exception {
    var inbox = ClusterSharding.get(system).entityRefFor(Inbox.ENTITY_TYPE_KEY, "w1");
    var payload = Json.mapper().createObjectNode().put("goal", "compile");
    Inbox.Draft draft = new Inbox.Draft("offer-1", Inbox.MessageType.TASK_OFFER, "m-1", 1, payload);
    Inbox.EnqueueResult accepted =
        inbox
            .<Inbox.EnqueueResult>ask(replyTo -> new Inbox.Enqueue(draft, replyTo), TIMEOUT)
            .toCompletableFuture()
            .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(new Inbox.Accepted("offer-1", 1, false), accepted);
    Inbox.Delivery delivery =
        inbox
            .<Inbox.Delivery>ask(
                replyTo -> new Inbox.Poll(10, Duration.ofSeconds(1), replyTo), TIMEOUT)
            .toCompletableFuture()
            .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(List.of("offer-1"), delivery.messages().stream().map(m -> m.messageId()).toList());
    assertEquals(payload, delivery.messages().get(0).payload());
    Inbox.Acked acked =
        inbox
            .<Inbox.Acked>askWithStatus(replyTo -> new Inbox.Ack("offer-1", replyTo), TIMEOUT)
            .toCompletableFuture()
            .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(new Inbox.Acked("offer-1", Inbox.MessageType.TASK_OFFER, "m-1", 1, false), acked);
  }
}
