package dev.muster.runtime.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.config.Caller;
import dev.muster.registry.RegistrySettings;
import dev.muster.registry.inbox.Inbox;
import dev.muster.registry.inbox.Inboxes;
import dev.muster.registry.index.CapabilityIndex;
import dev.muster.registry.participant.Kind;
import dev.muster.registry.participant.Participant;
import dev.muster.registry.participant.Registration;
import dev.muster.registry.participant.View;
import dev.muster.testing.Eventually;
import dev.muster.testing.OneNodeCluster;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dispatcher of a workspace with doubles of the missions and of the read side, and a real
 * capability index: participants are registered through sharding on a one-node cluster over an H2
 * journal, so the dispatcher hears of them the way it does on a node. Each test has its own
 * workspace and participants.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DispatcherTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final Duration RETRY = Duration.ofMillis(300);
  private static final Duration SETTLE = Duration.ofMillis(500);

  /** How much earlier than planned a timer may seem to fire, by clock readings taken apart. */
  private static final Duration SLACK = Duration.ofMillis(50);

  private static final Caller OPS = Caller.unconfined("ops");

  /** Small durations; reconciliation and passivation out of the way unless a test wants them. */
  private static final DispatchSettings SETTINGS = settings(SETTLE, Duration.ofMinutes(10));

  private static DispatchSettings settings(Duration settle, Duration reconcileInterval) {
    return new DispatchSettings(
        Duration.ofSeconds(1),
        Duration.ofSeconds(1),
        RETRY,
        settle,
        Duration.ofMillis(50),
        reconcileInterval,
        Duration.ofMinutes(10),
        10_000);
  }

  @TempDir static Path dataDir;

  private ActorTestKit testKit;
  private ActorSystem<?> system;
  private CapabilityIndex index;

  @BeforeAll
  void startNode() {
    testKit =
        OneNodeCluster.start(
            "dispatcher",
            dataDir,
            """
            pekko.loglevel = WARNING
            muster.registry.index.batch-window = 5ms
            """);
    system = testKit.system();
    RegistrySettings settings = RegistrySettings.load(system);
    Participant.init(system, settings, new AcceptingInboxes(), Clock.systemUTC());
    index = CapabilityIndex.start(system, settings, Clock.systemUTC());
    Eventually.assertWithin(TIMEOUT, () -> assertTrue(index.ready(), "the index caught up"));
  }

  @AfterAll
  void stopNode() {
    index.stop();
    testKit.shutdownTestKit();
  }

  // Doubles

  /** Participants' inboxes take every message (only a stand-down places one). */
  private static final class AcceptingInboxes implements Inboxes {
    @Override
    public CompletionStage<Inbox.EnqueueResult> place(String participantId, Inbox.Draft draft) {
      return CompletableFuture.completedFuture(new Inbox.Accepted(draft.messageId(), 1, false));
    }
  }

  /** What a dispatcher asked of the missions, and when. */
  private sealed interface Call {}

  private record Offer(
      String workspace, String missionId, int attempt, String participantId, Instant at)
      implements Call {}

  private record GiveUp(String workspace, String missionId, int attempt, String why, Instant at)
      implements Call {}

  /**
   * Missions that answer the way a mission would: an offer of the attempt it waits for is taken
   * (holding the participant, version + 1), any other call is answered with its status as it is.
   * Told to, it ends the mission instead of taking an offer, or leaves the next calls unanswered
   * (they fail). Every call goes to {@code calls}.
   */
  private static final class RecordingMissions implements Missions {
    final TestProbe<Call> calls;
    final Map<String, WorkStatus> statuses = new ConcurrentHashMap<>();
    final AtomicInteger unanswered = new AtomicInteger();
    volatile boolean endInsteadOfTaking;

    RecordingMissions(TestProbe<Call> calls) {
      this.calls = calls;
    }

    @Override
    public CompletionStage<WorkStatus> offer(
        String workspace, String missionId, int attempt, String participantId) {
      return answer(
          new Offer(workspace, missionId, attempt, participantId, Instant.now()),
          missionId,
          attempt,
          w ->
              endInsteadOfTaking
                  ? new WorkStatus.Idle(missionId, workspace, w.version() + 1)
                  : new WorkStatus.Holding(
                      missionId, workspace, w.version() + 1, attempt, participantId));
    }

    @Override
    public CompletionStage<WorkStatus> giveUp(
        String workspace, String missionId, int attempt, String why) {
      return answer(
          new GiveUp(workspace, missionId, attempt, why, Instant.now()),
          missionId,
          attempt,
          w -> new WorkStatus.Idle(missionId, workspace, w.version() + 1));
    }

    /**
     * Records {@code call}, then fails it while calls are to go unanswered, or answers the
     * mission's status: {@code next} of it when it waits for {@code attempt}, else as it is.
     */
    private CompletionStage<WorkStatus> answer(
        Call call, String missionId, int attempt, Function<WorkStatus.Waiting, WorkStatus> next) {
      calls.ref().tell(call);
      if (unanswered.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        return CompletableFuture.failedFuture(new TimeoutException("the mission did not answer"));
      }
      return CompletableFuture.completedFuture(
          statuses.computeIfPresent(
              missionId,
              (id, now) ->
                  now instanceof WorkStatus.Waiting w && w.attempt() == attempt
                      ? next.apply(w)
                      : now));
    }
  }

  /** The read side: caught up or not, the statuses it knows, and when it was read. */
  private static final class FakeOpenWork implements OpenWork {
    volatile boolean caughtUp;
    final Map<String, WorkStatus> statuses = new ConcurrentHashMap<>();
    final List<Instant> readAt = new CopyOnWriteArrayList<>();

    FakeOpenWork(boolean caughtUp) {
      this.caughtUp = caughtUp;
    }

    void knows(WorkStatus status) {
      statuses.put(status.missionId(), status);
    }

    @Override
    public boolean caughtUp() {
      return caughtUp;
    }

    @Override
    public List<WorkStatus> of(String workspace) {
      readAt.add(Instant.now());
      return statuses.values().stream()
          .filter(s -> s.workspace().equals(workspace) && !(s instanceof WorkStatus.Idle))
          .sorted(Comparator.comparing(WorkStatus::missionId))
          .toList();
    }

    @Override
    public Optional<WorkStatus> status(String missionId) {
      return Optional.ofNullable(statuses.get(missionId));
    }
  }

  // Helpers

  private ActorRef<Dispatcher.Command> start(
      String workspace, DispatchSettings settings, Missions missions, OpenWork openWork) {
    return testKit.spawn(
        Dispatcher.create(
            workspace, settings, index, missions, openWork, Clock.systemUTC(), Optional.empty()));
  }

  /** Registers a participant with room for one attempt. */
  private void register(String id, String workspace, Set<String> capabilities) throws Exception {
    Registration registration =
        new Registration(workspace, Kind.FLEET_WORKER, Set.of("worker"), capabilities, 1);
    View view =
        ClusterSharding.get(system)
            .entityRefFor(Participant.ENTITY_TYPE_KEY, id)
            .<View>askWithStatus(
                replyTo -> new Participant.Register(registration, OPS, replyTo), TIMEOUT)
            .toCompletableFuture()
            .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(id, view.id());
  }

  private void awaitIndexed(String id) {
    Eventually.assertWithin(
        TIMEOUT, () -> assertTrue(index.lookup(id).isPresent(), id + " is not indexed yet"));
  }

  /** {@link #register}, then waits until the capability index has it. */
  private void registerIndexed(String id, String workspace, Set<String> capabilities)
      throws Exception {
    register(id, workspace, capabilities);
    awaitIndexed(id);
  }

  private static WorkStatus.Waiting waiting(
      String id, String workspace, Set<String> capabilities, int priority, Duration start) {
    return new WorkStatus.Waiting(
        id,
        workspace,
        1,
        1,
        new Requirements(capabilities, Set.of(), Optional.empty()),
        priority,
        Instant.now(),
        Optional.empty(),
        Instant.now(),
        start,
        Optional.empty(),
        List.of());
  }

  private static WorkStatus.Waiting waiting(String id, String workspace, Set<String> capabilities) {
    return waiting(id, workspace, capabilities, 0, Duration.ofMinutes(10));
  }

  /** A mission's status as the mission tells it: the missions double knows it too. */
  private static void tell(
      ActorRef<Dispatcher.Command> dispatcher, RecordingMissions missions, WorkStatus status) {
    missions.statuses.put(status.missionId(), status);
    dispatcher.tell(new Dispatcher.Update(status));
  }

  private BacklogView view(
      ActorRef<Dispatcher.Command> dispatcher, int limit, Optional<BacklogView.Place> after) {
    TestProbe<StatusReply<BacklogView>> reply = testKit.createTestProbe();
    dispatcher.tell(new Dispatcher.GetBacklog(limit, after, reply.ref()));
    return reply.receiveMessage(TIMEOUT).getValue();
  }

  private BacklogView view(ActorRef<Dispatcher.Command> dispatcher) {
    return view(dispatcher, 100, Optional.empty());
  }

  private static Offer offer(TestProbe<Call> calls) {
    return calls.expectMessageClass(Offer.class, TIMEOUT);
  }

  private static void assertOffered(Offer offer, String missionId, String participantId) {
    assertEquals(
        List.of(missionId, 1, participantId),
        List.of(offer.missionId(), offer.attempt(), offer.participantId()),
        offer.toString());
  }

  // Tests

  @Test
  void aStartingDispatcherTakesTheOpenWorkOnceTheReadSideCaughtUpAndOffersItAfterSettling()
      throws Exception {
    registerIndexed("start-p1", "ws-start", Set.of("java"));
    TestProbe<Call> calls = testKit.createTestProbe();
    RecordingMissions missions = new RecordingMissions(calls);
    FakeOpenWork openWork = new FakeOpenWork(false);
    WorkStatus.Waiting open = waiting("start-m1", "ws-start", Set.of("java"));
    openWork.knows(open);
    missions.statuses.put(open.missionId(), open);
    ActorRef<Dispatcher.Command> dispatcher = start("ws-start", SETTINGS, missions, openWork);

    assertEquals(0, view(dispatcher).waiting(), "nothing taken before the read side caught up");
    assertTrue(openWork.readAt.isEmpty(), "the read side is not read before it caught up");

    openWork.caughtUp = true;
    Offer offer = offer(calls);
    assertOffered(offer, "start-m1", "start-p1");
    assertEquals("ws-start", offer.workspace());
    Instant readAt = openWork.readAt.get(0);
    assertFalse(
        offer.at().isBefore(readAt.plus(SETTLE).minus(SLACK)),
        "offered " + Duration.between(readAt, offer.at()).toMillis() + " ms after reading");
    Eventually.assertWithin(
        TIMEOUT,
        () ->
            assertEquals(
                List.of(new BacklogView.Load("start-p1", 1, 1)), view(dispatcher).participants()));
  }

  @Test
  void anAttemptTheReadSideLearnsOfWhileSettlingIsCountedBeforeAnythingIsOffered()
      throws Exception {
    registerIndexed("lag-p1", "ws-lag", Set.of("java"));
    TestProbe<Call> calls = testKit.createTestProbe();
    RecordingMissions missions = new RecordingMissions(calls);
    FakeOpenWork openWork = new FakeOpenWork(true);
    WorkStatus.Waiting m1 = waiting("lag-m1", "ws-lag", Set.of("java"));
    WorkStatus.Waiting m2 = waiting("lag-m2", "ws-lag", Set.of("java"));
    openWork.knows(m1);
    openWork.knows(m2);
    missions.statuses.put(m2.missionId(), m2);
    ActorRef<Dispatcher.Command> dispatcher = start("ws-lag", SETTINGS, missions, openWork);
    Eventually.assertWithin(TIMEOUT, () -> assertFalse(openWork.readAt.isEmpty()));
    // m1 took lag-p1's only room from the dispatcher before this one; the read side folds it now.
    WorkStatus.Holding held = new WorkStatus.Holding("lag-m1", "ws-lag", 2, 1, "lag-p1");
    openWork.knows(held);
    missions.statuses.put(held.missionId(), held);

    calls.expectNoMessage(SETTLE.plus(RETRY));
    assertEquals(
        List.of(new BacklogView.Load("lag-p1", 1, 1)),
        view(dispatcher).participants(),
        "the attempt taken before the start holds lag-p1's room");
    tell(dispatcher, missions, new WorkStatus.Idle("lag-m1", "ws-lag", 3));
    assertOffered(offer(calls), "lag-m2", "lag-p1");
  }

  @Test
  void aDispatcherThatFindsNoOpenWorkOffersAtOnce() throws Exception {
    registerIndexed("now-p1", "ws-now", Set.of("java"));
    TestProbe<Call> calls = testKit.createTestProbe();
    RecordingMissions missions = new RecordingMissions(calls);
    DispatchSettings longSettle = settings(Duration.ofMinutes(5), Duration.ofMinutes(10));
    ActorRef<Dispatcher.Command> dispatcher =
        start("ws-now", longSettle, missions, new FakeOpenWork(true));
    tell(dispatcher, missions, waiting("now-m1", "ws-now", Set.of("java")));
    assertOffered(offer(calls), "now-m1", "now-p1");
  }

  @Test
  void aWaitingMissionIsOfferedToAParticipantWithRoomAndTheNextOneWhenTheRoomIsFreeAgain()
      throws Exception {
    registerIndexed("room-p1", "ws-room", Set.of("java"));
    registerIndexed("room-py", "ws-room", Set.of("py"));
    TestProbe<Call> calls = testKit.createTestProbe();
    RecordingMissions missions = new RecordingMissions(calls);
    ActorRef<Dispatcher.Command> dispatcher =
        start("ws-room", SETTINGS, missions, new FakeOpenWork(true));

    tell(dispatcher, missions, waiting("room-m1", "ws-room", Set.of("java")));
    assertOffered(offer(calls), "room-m1", "room-p1");
    tell(dispatcher, missions, waiting("room-m2", "ws-room", Set.of("java")));
    Eventually.assertWithin(
        TIMEOUT,
        () -> {
          BacklogView view = view(dispatcher);
          assertEquals(1, view.waiting(), "room-p1 has no room for room-m2");
          assertEquals(1, view.holding());
          assertEquals(List.of(new BacklogView.Load("room-p1", 1, 1)), view.participants());
        });

    WorkStatus.Holding held = (WorkStatus.Holding) missions.statuses.get("room-m1");
    tell(dispatcher, missions, new WorkStatus.Idle("room-m1", "ws-room", held.version() + 1));
    assertOffered(offer(calls), "room-m2", "room-p1");
  }

  @Test
  void anOfferThatGetsNoAnswerIsMadeAgainAfterTheRetryInterval() throws Exception {
    registerIndexed("retry-p1", "ws-retry", Set.of("java"));
    TestProbe<Call> calls = testKit.createTestProbe();
    RecordingMissions missions = new RecordingMissions(calls);
    missions.unanswered.set(2);
    ActorRef<Dispatcher.Command> dispatcher =
        start("ws-retry", SETTINGS, missions, new FakeOpenWork(true));

    tell(dispatcher, missions, waiting("retry-m1", "ws-retry", Set.of("java")));
    Offer first = offer(calls);
    Offer second = offer(calls);
    Offer third = offer(calls);
    for (Offer offer : List.of(first, second, third)) {
      assertOffered(offer, "retry-m1", "retry-p1");
    }
    for (Duration between :
        List.of(
            Duration.between(first.at(), second.at()), Duration.between(second.at(), third.at()))) {
      assertFalse(between.compareTo(RETRY.minus(SLACK)) < 0, "offered again after " + between);
    }
    calls.expectNoMessage(RETRY.multipliedBy(2));
    assertEquals(
        new WorkStatus.Holding("retry-m1", "ws-retry", 2, 1, "retry-p1"),
        missions.statuses.get("retry-m1"));
  }

  @Test
  void anOfferAnsweredWithTheMissionsEndFreesTheParticipant() throws Exception {
    registerIndexed("end-p1", "ws-end", Set.of("java"));
    TestProbe<Call> calls = testKit.createTestProbe();
    RecordingMissions missions = new RecordingMissions(calls);
    missions.endInsteadOfTaking = true;
    ActorRef<Dispatcher.Command> dispatcher =
        start("ws-end", SETTINGS, missions, new FakeOpenWork(true));

    tell(
        dispatcher,
        missions,
        waiting("end-m1", "ws-end", Set.of("java"), 5, Duration.ofMinutes(10)));
    tell(dispatcher, missions, waiting("end-m2", "ws-end", Set.of("java")));
    assertOffered(offer(calls), "end-m1", "end-p1");
    assertOffered(offer(calls), "end-m2", "end-p1");
  }

  @Test
  void aParticipantRegisteredLaterGetsTheWaitingMission() throws Exception {
    TestProbe<Call> calls = testKit.createTestProbe();
    RecordingMissions missions = new RecordingMissions(calls);
    ActorRef<Dispatcher.Command> dispatcher =
        start("ws-late", SETTINGS, missions, new FakeOpenWork(true));
    tell(dispatcher, missions, waiting("late-m1", "ws-late", Set.of("java")));
    Eventually.assertWithin(TIMEOUT, () -> assertEquals(1, view(dispatcher).waiting()));

    register("late-p1", "ws-late", Set.of("java"));
    assertOffered(offer(calls), "late-m1", "late-p1");
  }

  @Test
  void getBacklogAnswersAPageOfTheWaitingMissionsInDispatchOrder() {
    TestProbe<Call> calls = testKit.createTestProbe();
    RecordingMissions missions = new RecordingMissions(calls);
    ActorRef<Dispatcher.Command> dispatcher =
        start("ws-view", SETTINGS, missions, new FakeOpenWork(true));
    Duration start = Duration.ofMinutes(10);
    tell(dispatcher, missions, waiting("view-low", "ws-view", Set.of("java"), 0, start));
    tell(dispatcher, missions, waiting("view-high", "ws-view", Set.of("java"), 9, start));
    tell(dispatcher, missions, waiting("view-go", "ws-view", Set.of("go"), 5, start));

    Eventually.assertWithin(TIMEOUT, () -> assertEquals(3, view(dispatcher).waiting()));
    BacklogView first = view(dispatcher, 2, Optional.empty());
    assertEquals("ws-view", first.workspace());
    assertEquals(2, first.queues().size());
    assertEquals(
        List.of("view-high#1", "view-go#1"),
        first.missions().stream().map(m -> m.missionId() + "#" + m.position()).toList());
    BacklogView next = view(dispatcher, 2, Optional.of(first.missions().get(1).place()));
    assertEquals(
        List.of("view-low#2"),
        next.missions().stream().map(m -> m.missionId() + "#" + m.position()).toList());
    assertEquals(List.of(), next.participants());
  }

  @Test
  void aMissionNobodyCapableCanTakeIsGivenUpAfterItsScheduleToStart() throws Exception {
    registerIndexed("give-p1", "ws-give", Set.of("java"));
    TestProbe<Call> calls = testKit.createTestProbe();
    RecordingMissions missions = new RecordingMissions(calls);
    ActorRef<Dispatcher.Command> dispatcher =
        start("ws-give", SETTINGS, missions, new FakeOpenWork(true));
    Duration start = Duration.ofMillis(300);
    WorkStatus.Waiting cobol = waiting("give-m1", "ws-give", Set.of("cobol"), 0, start);
    tell(dispatcher, missions, cobol);

    GiveUp giveUp = calls.expectMessageClass(GiveUp.class, TIMEOUT);
    assertEquals("give-m1", giveUp.missionId());
    assertEquals(1, giveUp.attempt());
    assertTrue(giveUp.why().startsWith("no capable participant"), giveUp.why());
    assertFalse(
        giveUp.at().isBefore(cobol.waitingSince().plus(start).minus(SLACK)),
        "given up " + Duration.between(cobol.waitingSince(), giveUp.at()).toMillis() + " ms in");
    Eventually.assertWithin(TIMEOUT, () -> assertTrue(view(dispatcher).missions().isEmpty()));
  }

  @Test
  void reconciliationTakesInAStatusTheReadSideKnowsNewer() throws Exception {
    registerIndexed("rec-p1", "ws-rec", Set.of("java"));
    TestProbe<Call> calls = testKit.createTestProbe();
    RecordingMissions missions = new RecordingMissions(calls);
    FakeOpenWork openWork = new FakeOpenWork(true);
    DispatchSettings reconcileOften = settings(SETTLE, Duration.ofMillis(200));
    ActorRef<Dispatcher.Command> dispatcher = start("ws-rec", reconcileOften, missions, openWork);

    tell(dispatcher, missions, waiting("rec-m1", "ws-rec", Set.of("java")));
    assertOffered(offer(calls), "rec-m1", "rec-p1");
    WorkStatus.Waiting second = waiting("rec-m2", "ws-rec", Set.of("java"));
    tell(dispatcher, missions, second);
    Eventually.assertWithin(TIMEOUT, () -> assertEquals(1, view(dispatcher).waiting()));

    // rec-m1 ended, but its status never reached the dispatcher; the read side has it.
    openWork.knows(second);
    openWork.knows(new WorkStatus.Idle("rec-m1", "ws-rec", 3));
    assertOffered(offer(calls), "rec-m2", "rec-p1");

    // A waiting mission the dispatcher never heard of, known to the read side.
    registerIndexed("rec-p2", "ws-rec", Set.of("go"));
    WorkStatus.Waiting unheard = waiting("rec-m3", "ws-rec", Set.of("go"));
    missions.statuses.put(unheard.missionId(), unheard);
    openWork.knows(unheard);
    assertOffered(offer(calls), "rec-m3", "rec-p2");
  }
}
