package dev.muster.registry.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.config.Caller;
import dev.muster.config.json.Json;
import dev.muster.registry.RecordingInboxes;
import dev.muster.registry.RegistrySettings;
import dev.muster.registry.inbox.AckListener;
import dev.muster.registry.inbox.Inbox;
import dev.muster.registry.participant.Changes;
import dev.muster.registry.participant.Kind;
import dev.muster.registry.participant.Participant;
import dev.muster.registry.participant.Registration;
import dev.muster.registry.participant.Status;
import dev.muster.registry.participant.View;
import dev.muster.testing.Eventually;
import dev.muster.testing.OneNodeCluster;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The capability index and both entities on a one-node cluster over a real H2 journal: participants
 * registered and changed through sharding show up in the index once their events are in the
 * journal, and subscribers of their workspace hear of it.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CapabilityIndexJournalTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final Caller OPS = Caller.unconfined("ops");

  @TempDir static Path dataDir;

  @JUnit5TestKit ActorTestKit testKit;

  private ActorSystem<?> system;
  private RegistrySettings settings;
  private CapabilityIndex index;

  @BeforeAll
  void startNode() {
    testKit = OneNodeCluster.start("registry", dataDir, "muster.registry.index.batch-window = 5ms");
    system = testKit.system();
    settings = RegistrySettings.load(system);
    Participant.init(system, settings, new RecordingInboxes(), Clock.systemUTC());
    Inbox.init(system, settings, AckListener.NONE, Clock.systemUTC());
    index = CapabilityIndex.start(system, settings, Clock.systemUTC());
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
    participant(id, replyTo -> new Participant.Register(registration, OPS, replyTo));
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
  void registeredParticipantsAreListedByWorkspaceRoleAndCapability() throws Exception {
    register("a1", "ws-a", Set.of("java", "maven"), 1);
    register("a2", "ws-a", Set.of("java"), 2);
    register("a3", "ws-a", Set.of("reviewer"), Set.of("java"), 1);
    register("b1", "ws-b", Set.of("java"), 1);
    awaitIndexed(index, "a1", "a2", "a3", "b1");
    assertEquals(
        List.of("a1", "a2", "a3"),
        ids(
            index.list(
                Optional.of("ws-a"),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                10)));
    assertEquals(
        List.of("a1"),
        ids(
            index.list(
                Optional.of("ws-a"),
                Optional.empty(),
                Optional.of("maven"),
                Optional.empty(),
                Optional.empty(),
                10)));
    assertEquals(
        List.of("a3"),
        ids(
            index.list(
                Optional.of("ws-a"),
                Optional.of("reviewer"),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                10)));
    IndexState.Page first =
        index.list(
            Optional.of("ws-a"),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            2);
    assertEquals(List.of("a1", "a2"), ids(first));
    assertEquals(
        List.of("a3"),
        ids(
            index.list(
                Optional.of("ws-a"),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                first.continueAfter(),
                2)));
    assertEquals(2, index.lookup("a2").orElseThrow().maxConcurrentAttempts());
    assertEquals("ws-b", index.lookup("b1").orElseThrow().workspace());
  }

  private static List<String> ids(IndexState.Page page) {
    return page.participants().stream().map(IndexedParticipant::id).toList();
  }

  @Test
  void drainedStoodDownAndUpdatedParticipantsShowAsTheyAre() throws Exception {
    register("d1", "ws-d", Set.of("py"), 1);
    register("d2", "ws-d", Set.of("py"), 1);
    awaitIndexed(index, "d1", "d2");
    participant("d1", r -> new Participant.Drain(OPS, r));
    participant("d2", r -> new Participant.StandDown("mission cancelled", OPS, r));
    participant("d2", r -> new Participant.Get(OPS, r));
    Eventually.assertWithin(
        TIMEOUT,
        () -> {
          assertEquals(Status.DRAINING, index.lookup("d1").orElseThrow().status());
          assertEquals(Status.STOOD_DOWN, index.lookup("d2").orElseThrow().status());
        });
    register("u1", "ws-u", Set.of("java"), 1);
    participant(
        "u1",
        r ->
            new Participant.Update(
                Changes.NONE.withCapabilities(Set.of("kotlin")).withMaxConcurrentAttempts(4),
                OPS,
                r));
    Eventually.assertWithin(
        TIMEOUT,
        () -> {
          assertEquals(Set.of("kotlin"), index.lookup("u1").orElseThrow().capabilities());
          assertEquals(4, index.lookup("u1").orElseThrow().maxConcurrentAttempts());
        });
  }

  @Test
  void subscribersHearWhichParticipantsOfTheirWorkspaceChanged() throws Exception {
    List<Set<String>> heard = new CopyOnWriteArrayList<>();
    CapabilityIndex.Subscription subscription = index.subscribe("ws-n", heard::add);
    try {
      register("n1", "ws-n", Set.of("go"), 1);
      register("other", "ws-other", Set.of("go"), 1);
      Eventually.assertWithin(
          TIMEOUT, () -> assertTrue(heard.stream().anyMatch(ids -> ids.contains("n1"))));
      participant(
          "n1", r -> new Participant.Update(Changes.NONE.withMaxConcurrentAttempts(3), OPS, r));
      Eventually.assertWithin(
          TIMEOUT, () -> assertTrue(heard.stream().filter(ids -> ids.contains("n1")).count() >= 2));
      assertTrue(heard.stream().noneMatch(ids -> ids.contains("other")), "only its workspace");
    } finally {
      subscription.cancel();
    }
    int before = heard.size();
    participant(
        "n1", r -> new Participant.Update(Changes.NONE.withMaxConcurrentAttempts(5), OPS, r));
    Eventually.assertWithin(
        TIMEOUT, () -> assertEquals(5, index.lookup("n1").orElseThrow().maxConcurrentAttempts()));
    assertEquals(before, heard.size(), "a cancelled subscription hears nothing");
  }

  @Test
  void aNewIndexCatchesUpFromTheJournal() throws Exception {
    register("r1", "ws-r", Set.of("c"), 1);
    participant("r1", r -> new Participant.Heartbeat(OPS, r));
    awaitIndexed(index, "r1");
    Eventually.assertWithin(
        TIMEOUT, () -> assertTrue(index.lookup("r1").orElseThrow().sequenceNr() >= 2));

    CapabilityIndex restarted = CapabilityIndex.start(system, settings, Clock.systemUTC());
    try {
      Eventually.assertWithin(TIMEOUT, () -> assertTrue(restarted.ready()));
      assertTrue(restarted.lookup("r1").isPresent(), "ready means the stored events are folded");
      Eventually.assertWithin(
          TIMEOUT, () -> assertEquals(index.lookup("r1"), restarted.lookup("r1")));
    } finally {
      restarted.stop();
    }
  }

  @Test
  void aParticipantNotHeardOfWithinTheWindowListsAsOffline() throws Exception {
    register("s1", "ws-s", Set.of("sql"), 1);
    awaitIndexed(index, "s1");
    Clock later = Clock.offset(Clock.systemUTC(), settings.livenessWindow().plusSeconds(1));
    CapabilityIndex future = CapabilityIndex.start(system, settings, later);
    try {
      awaitIndexed(future, "s1");
      assertEquals(Status.ACTIVE, future.lookup("s1").orElseThrow().status());
      assertEquals(
          List.of("s1"),
          ids(
              future.list(
                  Optional.of("ws-s"),
                  Optional.empty(),
                  Optional.empty(),
                  Optional.of(Status.OFFLINE),
                  Optional.empty(),
                  10)));
      assertEquals(
          List.of("s1"),
          ids(
              index.list(
                  Optional.of("ws-s"),
                  Optional.empty(),
                  Optional.empty(),
                  Optional.of(Status.ACTIVE),
                  Optional.empty(),
                  10)));
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
            .<Inbox.EnqueueResult>askWithStatus(
                replyTo -> new Inbox.Enqueue(draft, replyTo), TIMEOUT)
            .toCompletableFuture()
            .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(new Inbox.Accepted("offer-1", 1, false), accepted);
    Inbox.Delivery delivery =
        inbox
            .<Inbox.Delivery>askWithStatus(
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
