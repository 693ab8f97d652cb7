package dev.muster.coordinator.mission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.typesafe.config.ConfigFactory;
import dev.muster.config.Caller;
import dev.muster.config.Rejection;
import dev.muster.config.money.Amount;
import dev.muster.coordinator.model.Attempt;
import dev.muster.coordinator.model.Decision;
import dev.muster.coordinator.model.Escalation;
import dev.muster.coordinator.model.MissionSpec;
import dev.muster.coordinator.model.MissionSpec.ChildSpec;
import dev.muster.coordinator.model.MissionSpec.JoinMode;
import dev.muster.coordinator.model.MissionSpec.RetryPolicy;
import dev.muster.coordinator.model.MissionSpec.SplitPlan;
import dev.muster.coordinator.model.MissionSpec.Timeouts;
import dev.muster.coordinator.model.MissionState;
import dev.muster.coordinator.model.NamedParticipant;
import dev.muster.coordinator.model.Phase;
import dev.muster.registry.inbox.Inbox;
import dev.muster.runtime.dispatch.Requirements;
import dev.muster.runtime.dispatch.WorkStatus;
import dev.muster.testing.Eventually;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The Mission entity on the persistence testkit (every command, event and state is serialized),
 * with recording doubles for inboxes, budgets, the mission tree and the dispatcher. The test plays
 * the dispatcher: it reads the statuses the mission tells, and offers attempts with {@link
 * Mission.Offer}. Timers run in real time with short timeouts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MissionTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Caller OPS = Caller.unconfined("ops");
  private static final Caller WORKER = Caller.in("ws-1", "worker");
  private final ActorTestKit testKit =
      ActorTestKit.create(
          EventSourcedBehaviorTestKit.config()
              .withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
              .withFallback(ConfigFactory.load()));
  private final CoordinatorSettings base =
      CoordinatorSettings.from(
          ConfigFactory.parseString(
                  "muster.coordinator.offer-retry-interval = 50ms\n"
                      + "muster.coordinator.peer-timeout = 1s")
              .withFallback(ConfigFactory.load()));
  private final CoordinatorSettings settings =
      new CoordinatorSettings(
          base.offerRetryInterval(),
          base.peerTimeout(),
          base.acceptTimeout(),
          "operators",
          new RetryPolicy(3, 50, 2.0, 1000, Set.of()),
          new Timeouts(60_000, 600_000, 30_000),
          base.persistFailure());
  private final JsonNode input = JsonNodeFactory.instance.objectNode().put("repo", "x");

  private RecordingInboxes inboxes;
  private RecordingPeers peers;
  private RecordingBudgets budgets;
  private List<WorkStatus> told;
  private BreakableClock clock;
  private EventSourcedBehaviorTestKit<Mission.Command, Mission.Event, Mission.State> mission;

  @BeforeEach
  void fresh() {
    inboxes = new RecordingInboxes();
    peers = new RecordingPeers();
    budgets = new RecordingBudgets();
    told = new CopyOnWriteArrayList<>();
    clock = new BreakableClock();
    MissionLinks links = new MissionLinks(inboxes, budgets, peers, told::add);
    mission =
        EventSourcedBehaviorTestKit.create(
            testKit.system(), Mission.create("m-1", links, settings, clock));
  }

  @AfterAll
  void shutdown() {
    testKit.shutdownTestKit();
  }

  private MissionSpec spec(Timeouts timeouts, Optional<SplitPlan> split, boolean approval) {
    return new MissionSpec(
        "ws-1",
        "write it",
        Optional.empty(),
        Set.of("code"),
        Set.of(),
        input,
        settings.defaultRetryPolicy(),
        timeouts,
        split,
        Optional.empty(),
        approval,
        Optional.empty(),
        3);
  }

  private MissionSpec spec() {
    return spec(settings.defaultTimeouts(), Optional.empty(), false);
  }

  private MissionSpec budgeted(String estimate) {
    MissionSpec s = spec();
    return new MissionSpec(
        s.workspace(),
        s.title(),
        s.spec(),
        s.requiredCapabilities(),
        s.requiredRoles(),
        s.input(),
        s.retryPolicy(),
        s.timeouts(),
        s.split(),
        Optional.of(new MissionSpec.BudgetRef("ws-1", amount(estimate))),
        false,
        Optional.empty(),
        0);
  }

  private static Amount amount(String text) {
    return Amount.parse(new BigDecimal(text));
  }

  private CommandResultWithReply<
          Mission.Command, Mission.Event, Mission.State, StatusReply<MissionState>>
      run(Function<ActorRef<StatusReply<MissionState>>, Mission.Command> command) {
    return mission.runCommand(command::apply);
  }

  private MissionState submit(MissionSpec spec) {
    return run(r -> new Mission.Submit(spec, OPS, r)).reply().getValue();
  }

  private MissionState get() {
    return run(r -> new Mission.Get(OPS, r)).reply().getValue();
  }

  /** The dispatcher offers attempt {@code attempt} to {@code participant}: the answer. */
  private WorkStatus offer(int attempt, String participant) {
    return mission
        .<StatusReply<WorkStatus>>runCommand(
            r -> new Mission.Offer("ws-1", attempt, participant, r))
        .reply()
        .getValue();
  }

  private static Rejection.Code code(StatusReply<?> reply) {
    return ((Rejection.Refusal) reply.getError()).rejection().code();
  }

  private List<Decision.Kind> decisions() {
    return get().decisions().stream().map(d -> d.decision().kind()).toList();
  }

  private List<RecordingInboxes.Placed> tasks() {
    return inboxes.of(Inbox.MessageType.TASK_OFFER);
  }

  private void awaitOffers(int count) {
    Eventually.assertWithin(WAIT, () -> assertEquals(count, tasks().size()));
  }

  /** The last status the mission told its dispatcher, once it is of {@code type}. */
  private <T extends WorkStatus> T awaitTold(Class<T> type) {
    Eventually.assertWithin(
        WAIT, () -> assertInstanceOf(type, told.isEmpty() ? null : told.get(told.size() - 1)));
    return type.cast(told.get(told.size() - 1));
  }

  /** Submits, takes the offer of attempt 1 to p-1, and accepts it as the worker. */
  private void running(MissionSpec spec) {
    submit(spec);
    offer(1, "p-1");
    run(r -> new Mission.AcceptOffer(1, WORKER, r));
  }

  private static Attempt.Failure failure(
      boolean retryable, Attempt.CleanupStatus cleanup, Optional<String> recovery) {
    return new Attempt.Failure("boom", retryable, Optional.empty(), cleanup, recovery);
  }

  @Test
  void aSubmittedMissionWaitsInTheBacklogAndTellsItsDispatcher() {
    var result = run(r -> new Mission.Submit(spec(), OPS, r));
    assertInstanceOf(Mission.MissionSubmitted.class, result.events().get(0));
    assertInstanceOf(Mission.MissionQueued.class, result.events().get(1));
    assertEquals(Phase.QUEUED, result.reply().getValue().phase());
    WorkStatus.Waiting waiting = awaitTold(WorkStatus.Waiting.class);
    assertEquals(1, waiting.attempt());
    assertEquals(
        new Requirements(Set.of("code"), Set.of(), Optional.empty()), waiting.requirements());
    assertEquals(3, waiting.priority());
    assertEquals(2, waiting.version());
    assertEquals(Duration.ofMinutes(1), waiting.scheduleToStart());
    assertTrue(tasks().isEmpty(), "nothing is offered until the dispatcher says to whom");
  }

  @Test
  void anOfferFromTheBacklogProceedsAndPlacesTheOfferAndIsAnsweredHolding() {
    submit(spec());
    WorkStatus answer = offer(1, "p-1");
    assertEquals(new WorkStatus.Holding("m-1", "ws-1", 3, 1, "p-1"), answer);
    assertEquals(
        new Decision.Proceed("p-1", 1, "p-1 covers the requirements and has room"),
        get().decisions().get(0).decision());
    awaitOffers(1);
    RecordingInboxes.Placed placed = tasks().get(0);
    assertEquals("p-1", placed.participantId());
    assertEquals("m-1.a1", placed.draft().messageId());
    assertEquals("x", placed.draft().payload().get("input").get("repo").asText());

    var again =
        mission.<StatusReply<WorkStatus>>runCommand(r -> new Mission.Offer("ws-1", 1, "p-2", r));
    assertTrue(again.events().isEmpty(), "an offer of an attempt it no longer waits for is stale");
    assertEquals(answer, again.reply().getValue());
  }

  @Test
  void acceptAndCompleteMakeTheMissionSucceedAndARepeatChangesNothing() {
    running(spec());
    assertEquals(Phase.RUNNING, get().phase());
    JsonNode result = JsonNodeFactory.instance.objectNode().put("ok", true);
    MissionState state =
        run(r -> new Mission.CompleteAttempt(1, result, Optional.of(amount("2.5")), WORKER, r))
            .reply()
            .getValue();
    assertEquals(Phase.SUCCEEDED, state.phase());
    Attempt attempt = state.attempt(1).orElseThrow();
    assertEquals(Attempt.State.SUCCEEDED, attempt.state());
    assertEquals(result, attempt.result());
    assertEquals(amount("2.5"), attempt.cost());
    assertEquals(List.of(Decision.Kind.PROCEED, Decision.Kind.COMPLETE), decisions());
    awaitTold(WorkStatus.Idle.class);

    var again = run(r -> new Mission.CompleteAttempt(1, result, Optional.empty(), WORKER, r));
    assertTrue(again.events().isEmpty(), "a repeated completion changes nothing");
    assertEquals(Phase.SUCCEEDED, again.reply().getValue().phase());
  }

  @Test
  void theBacklogGivingUpEscalatesWithItsReason() {
    submit(spec());
    var result =
        mission.<StatusReply<WorkStatus>>runCommand(
            r -> new Mission.GiveUp("ws-1", 1, "nobody capable", r));
    assertInstanceOf(WorkStatus.Idle.class, result.reply().getValue());
    MissionState escalated = get();
    assertEquals(Phase.ESCALATED, escalated.phase());
    assertEquals("nobody capable", escalated.escalations().get(0).reason());
    var stale =
        mission.<StatusReply<WorkStatus>>runCommand(r -> new Mission.GiveUp("ws-1", 1, "again", r));
    assertTrue(stale.events().isEmpty());
  }

  @Test
  void anUnknownMissionAnswersTheBacklogThatItIsIdle() {
    var result =
        mission.<StatusReply<WorkStatus>>runCommand(r -> new Mission.Offer("ws-1", 1, "p-1", r));
    assertEquals(new WorkStatus.Idle("m-1", "ws-1", 0), result.reply().getValue());
    assertTrue(result.events().isEmpty());
  }

  @Test
  void aRefusedOfferGoesBackToTheBacklogAvoidingThatParticipant() {
    inboxes.refusing.add("p-1");
    submit(spec());
    offer(1, "p-1");
    Eventually.assertWithin(WAIT, () -> assertEquals(Phase.RETRYING, get().phase()));
    WorkStatus.Waiting waiting = awaitTold(WorkStatus.Waiting.class);
    assertEquals(2, waiting.attempt());
    assertEquals(List.of("p-1"), waiting.avoid());
    assertEquals(Attempt.State.WITHDRAWN, get().attempt(1).orElseThrow().state());
    offer(2, "p-2");
    awaitOffers(2);
    assertEquals("m-1.a2", tasks().get(1).draft().messageId());

    var stale = run(r -> new Mission.CompleteAttempt(1, input, Optional.empty(), WORKER, r));
    assertTrue(stale.events().isEmpty());
    assertEquals(Rejection.Code.STALE_ATTEMPT, code(stale.reply()));
  }

  @Test
  void aRetryableFailureWaitsItsBackoffInTheBacklog() {
    running(spec());
    MissionState failed =
        run(r ->
                new Mission.FailAttempt(
                    1,
                    failure(true, Attempt.CleanupStatus.CLEAN, Optional.empty()),
                    Optional.empty(),
                    WORKER,
                    r))
            .reply()
            .getValue();
    assertEquals(Phase.RETRYING, failed.phase());
    WorkStatus.Waiting waiting = awaitTold(WorkStatus.Waiting.class);
    assertEquals(2, waiting.attempt());
    assertEquals(failed.retryAt(), waiting.notBefore());
    assertEquals(List.of("p-1"), waiting.avoid(), "a retry prefers another participant");
    offer(2, "p-2");
    assertEquals(
        List.of(Decision.Kind.PROCEED, Decision.Kind.RETRY, Decision.Kind.PROCEED), decisions());
  }

  @Test
  void aSilentWorkerIsStoodDownAndTheMissionGoesBackToTheBacklog() {
    running(spec(new Timeouts(60_000, 600_000, 300), Optional.empty(), false));
    Eventually.assertWithin(WAIT, () -> assertEquals(Phase.RETRYING, get().phase()));
    List<RecordingInboxes.Placed> standDowns = inboxes.of(Inbox.MessageType.STAND_DOWN);
    Eventually.assertWithin(
        WAIT, () -> assertEquals(1, inboxes.of(Inbox.MessageType.STAND_DOWN).size()));
    assertEquals("p-1", inboxes.of(Inbox.MessageType.STAND_DOWN).get(0).participantId());
    assertEquals(Attempt.State.STOOD_DOWN, get().attempt(1).orElseThrow().state());
    assertEquals(
        List.of(Decision.Kind.PROCEED, Decision.Kind.STAND_DOWN, Decision.Kind.RETRY), decisions());
    assertEquals(2, awaitTold(WorkStatus.Waiting.class).attempt());

    var late = run(r -> new Mission.Heartbeat(1, Optional.of(0.9), Optional.empty(), WORKER, r));
    assertEquals(Rejection.Code.STALE_ATTEMPT, code(late.reply()));
    assertTrue(standDowns.isEmpty() || standDowns.size() <= 1);
  }

  @Test
  void heartbeatsKeepAnAttemptAliveAcrossItsLease() {
    running(spec(new Timeouts(60_000, 600_000, 400), Optional.empty(), false));
    long until = System.nanoTime() + Duration.ofMillis(1200).toNanos();
    int beat = 0;
    while (System.nanoTime() < until) {
      double progress = ++beat / 100.0;
      run(r -> new Mission.Heartbeat(1, Optional.of(progress), Optional.empty(), WORKER, r));
      Eventually.assertWithin(WAIT, () -> assertEquals(Phase.RUNNING, get().phase()));
      testKit.createTestProbe().expectNoMessage(Duration.ofMillis(100));
    }
    assertEquals(Phase.RUNNING, get().phase());
    assertEquals(Attempt.State.RUNNING, get().attempt(1).orElseThrow().state());
  }

  @Test
  void retriesExhaustedEscalateAndAnOperatorRetryStartsAFreshRound() {
    submit(spec());
    Attempt.Failure boom = failure(true, Attempt.CleanupStatus.CLEAN, Optional.empty());
    for (int n = 1; n <= 3; n++) {
      int attempt = n;
      offer(attempt, "p-1");
      run(r -> new Mission.AcceptOffer(attempt, WORKER, r));
      run(r -> new Mission.FailAttempt(attempt, boom, Optional.empty(), WORKER, r));
    }
    MissionState escalated = get();
    assertEquals(Phase.ESCALATED, escalated.phase());
    Escalation escalation = escalated.escalations().get(0);
    assertTrue(escalation.reason().contains("retries exhausted"), escalation.reason());

    var resolved =
        run(
            r ->
                new Mission.ResolveEscalation(
                    escalation.id(),
                    Escalation.Action.RETRY,
                    Optional.empty(),
                    "try again",
                    OPS,
                    r));
    assertEquals(Phase.RETRYING, resolved.reply().getValue().phase());
    assertEquals(4, awaitTold(WorkStatus.Waiting.class).attempt());

    var twice =
        run(
            r ->
                new Mission.ResolveEscalation(
                    escalation.id(), Escalation.Action.RETRY, Optional.empty(), "", OPS, r));
    assertEquals(Rejection.Code.ALREADY_RESOLVED, code(twice.reply()));
    assertTrue(twice.events().isEmpty());
  }

  @Test
  void aReassignmentWaitsForTheNamedParticipant() {
    running(spec());
    run(
        r ->
            new Mission.FailAttempt(
                1,
                failure(false, Attempt.CleanupStatus.CLEAN, Optional.empty()),
                Optional.empty(),
                WORKER,
                r));
    String id = get().escalations().get(0).id();
    String workspace = get().spec().workspace();
    for (var refused :
        List.of(
            Optional.<NamedParticipant>empty(),
            Optional.of(new NamedParticipant("p-9", Optional.empty())),
            Optional.of(new NamedParticipant("p-9", Optional.of("elsewhere"))))) {
      var answer =
          run(
              r ->
                  new Mission.ResolveEscalation(
                      id, Escalation.Action.REASSIGN, refused, "", OPS, r));
      assertEquals(Rejection.Code.INVALID_REQUEST, code(answer.reply()), refused.toString());
      assertTrue(answer.events().isEmpty());
    }
    var stray =
        run(
            r ->
                new Mission.ResolveEscalation(
                    id,
                    Escalation.Action.RETRY,
                    Optional.of(new NamedParticipant("p-9", Optional.of(workspace))),
                    "",
                    OPS,
                    r));
    assertEquals(Rejection.Code.INVALID_REQUEST, code(stray.reply()), "participant_id with retry");
    run(
        r ->
            new Mission.ResolveEscalation(
                id,
                Escalation.Action.REASSIGN,
                Optional.of(new NamedParticipant("p-9", Optional.of(workspace))),
                "to p-9",
                OPS,
                r));
    WorkStatus.Waiting waiting = awaitTold(WorkStatus.Waiting.class);
    assertEquals(Optional.of("p-9"), waiting.requirements().participant());
  }

  @Test
  void needsRecoveryEscalatesAndTheActionRunsOnlyWhenAnOperatorConfirmsIt() {
    running(spec());
    run(
        r ->
            new Mission.FailAttempt(
                1,
                failure(true, Attempt.CleanupStatus.NEEDS_RECOVERY, Optional.of("drop table tmp")),
                Optional.empty(),
                WORKER,
                r));
    MissionState escalated = get();
    assertEquals(Phase.ESCALATED, escalated.phase());
    assertEquals(Optional.of("drop table tmp"), escalated.escalations().get(0).recoveryAction());
    assertTrue(inboxes.of(Inbox.MessageType.RECOVERY_REQUESTED).isEmpty(), "never automatic");

    String id = escalated.escalations().get(0).id();
    inboxes.unanswered.set(2);
    run(
        r ->
            new Mission.ResolveEscalation(
                id, Escalation.Action.CONFIRM_RECOVERY, Optional.empty(), "ok", OPS, r));
    // The first two placings get no answer: the request is placed again until one is taken.
    Eventually.assertWithin(
        WAIT, () -> assertEquals(3, inboxes.of(Inbox.MessageType.RECOVERY_REQUESTED).size()));
    assertEquals(
        1,
        inboxes.of(Inbox.MessageType.RECOVERY_REQUESTED).stream()
            .map(p -> p.draft().messageId())
            .distinct()
            .count(),
        "the same message each time");
    assertEquals(
        "drop table tmp",
        inboxes
            .of(Inbox.MessageType.RECOVERY_REQUESTED)
            .get(0)
            .draft()
            .payload()
            .get("recovery_action")
            .asText());
  }

  @Test
  void confirmingARecoveryThatDoesNotExistIsRefused() {
    running(spec());
    run(
        r ->
            new Mission.FailAttempt(
                1,
                failure(false, Attempt.CleanupStatus.CLEAN, Optional.empty()),
                Optional.empty(),
                WORKER,
                r));
    String id = get().escalations().get(0).id();
    var refused =
        run(
            r ->
                new Mission.ResolveEscalation(
                    id, Escalation.Action.CONFIRM_RECOVERY, Optional.empty(), "", OPS, r));
    assertEquals(Rejection.Code.CONFLICT, code(refused.reply()));
    assertTrue(refused.events().isEmpty());
  }

  @Test
  void aSplitSubmitsItsChildrenAndCompletesWhenTheyAllSucceed() {
    List<ChildSpec> children =
        List.of(
            new ChildSpec("a", Set.of("code"), Set.of(), input),
            new ChildSpec("b", Set.of("code"), Set.of(), input, Optional.of(9)));
    submit(
        spec(
            settings.defaultTimeouts(),
            Optional.of(new SplitPlan(JoinMode.parse("all"), children)),
            false));
    assertEquals(Phase.SPLIT, get().phase());
    Eventually.assertWithin(WAIT, () -> assertEquals(List.of("m-1.c1", "m-1.c2"), peers.submitted));
    assertEquals(3, peers.specs.get(0).priority(), "a child keeps its parent's priority");
    assertEquals(9, peers.specs.get(1).priority(), "unless it says otherwise");

    run(r -> new Mission.ReportChild("m-1.c1", Phase.SUCCEEDED, r));
    assertEquals(Phase.SPLIT, get().phase());
    var repeat = run(r -> new Mission.ReportChild("m-1.c1", Phase.SUCCEEDED, r));
    assertTrue(repeat.events().isEmpty(), "a repeated report changes nothing");
    run(r -> new Mission.ReportChild("m-1.c2", Phase.SUCCEEDED, r));
    assertEquals(Phase.SUCCEEDED, get().phase());
    assertEquals(List.of(Decision.Kind.SPLIT, Decision.Kind.COMPLETE), decisions());
  }

  @Test
  void aFirstJoinsWinnerEndsTheParentWhichKeepsCancellingTheSiblingsUntilTheyAnswer() {
    List<ChildSpec> children =
        List.of(
            new ChildSpec("a", Set.of("code"), Set.of(), input),
            new ChildSpec("b", Set.of("code"), Set.of(), input));
    submit(
        spec(
            settings.defaultTimeouts(),
            Optional.of(new SplitPlan(JoinMode.parse("first"), children)),
            false));
    Eventually.assertWithin(WAIT, () -> assertEquals(2, peers.submitted.size()));
    run(r -> new Mission.ReportChild("m-1.c1", Phase.SUCCEEDED, r));
    assertEquals(Phase.SUCCEEDED, get().phase());
    // The double never answers a cancel: the parent, though it succeeded, asks again.
    Eventually.assertWithin(
        WAIT,
        () ->
            assertTrue(
                peers.cancelled.stream().filter("m-1.c2"::equals).count() >= 3,
                peers.cancelled.toString()));
    assertFalse(peers.cancelled.contains("m-1.c1"), "the winner is not cancelled");
  }

  @Test
  void cancelStandsDownTheRunningWorkerAndTellsTheDispatcher() {
    running(spec());
    MissionState cancelled = run(r -> new Mission.Cancel("not needed", OPS, r)).reply().getValue();
    assertEquals(Phase.CANCELLED, cancelled.phase());
    Eventually.assertWithin(
        WAIT, () -> assertEquals(1, inboxes.of(Inbox.MessageType.STAND_DOWN).size()));
    awaitTold(WorkStatus.Idle.class);
    var late = run(r -> new Mission.CompleteAttempt(1, input, Optional.empty(), WORKER, r));
    assertEquals(Rejection.Code.STALE_ATTEMPT, code(late.reply()));
    var again = run(r -> new Mission.Cancel("again", OPS, r));
    assertTrue(again.events().isEmpty(), "cancelling twice changes nothing");
  }

  @Test
  void anApprovalGateHoldsTheMissionUntilAnOperatorAnswers() {
    MissionState submitted = submit(spec(settings.defaultTimeouts(), Optional.empty(), true));
    assertEquals(Phase.AWAITING_APPROVAL, submitted.phase());
    assertTrue(told.isEmpty(), "a mission awaiting approval waits for nobody yet");

    MissionState approved =
        run(r -> new Mission.Approve(true, "looks fine", OPS, r)).reply().getValue();
    assertEquals(Phase.QUEUED, approved.phase());
    assertEquals("ops", approved.approval().orElseThrow().by());
    awaitTold(WorkStatus.Waiting.class);
    var twice = run(r -> new Mission.Approve(false, "", OPS, r));
    assertEquals(Rejection.Code.CONFLICT, code(twice.reply()));
  }

  @Test
  void aHandoffMergesWhatItNamesWithTheRequirementsAndWaitsForThem() {
    running(spec());
    MissionState handed =
        run(r ->
                new Mission.HandOff(
                    1,
                    Optional.of("reviewer"),
                    Optional.empty(),
                    Optional.empty(),
                    "please review",
                    WORKER,
                    r))
            .reply()
            .getValue();
    assertEquals(Attempt.State.HANDED_OFF, handed.attempt(1).orElseThrow().state());
    assertEquals(
        new Requirements(Set.of("code"), Set.of("reviewer"), Optional.empty()),
        handed.requirements(),
        "the capabilities it did not name stay");
    assertEquals(1, handed.handoffs().size());
    WorkStatus.Waiting waiting = awaitTold(WorkStatus.Waiting.class);
    assertEquals(handed.requirements(), waiting.requirements());
    assertEquals(2, waiting.attempt());
  }

  @Test
  void anOfferGoesOutOnlyAfterItsEstimateIsReservedAndTheUsageIsCommitted() {
    submit(budgeted("5"));
    offer(1, "p-1");
    awaitOffers(1);
    assertEquals(List.of("ws-1:m-1.a1=5"), budgets.reserved);
    run(r -> new Mission.AcceptOffer(1, WORKER, r));
    run(r -> new Mission.CompleteAttempt(1, input, Optional.of(amount("3.5")), WORKER, r));
    Eventually.assertWithin(
        WAIT, () -> assertEquals(List.of("ws-1:m-1.a1=3.5"), budgets.committed));
  }

  @Test
  void aDeniedReservationEscalatesAndRaisingTheBudgetResumes() {
    budgets.deny = true;
    submit(budgeted("5"));
    offer(1, "p-1");
    Eventually.assertWithin(WAIT, () -> assertEquals(Phase.ESCALATED, get().phase()));
    assertTrue(tasks().isEmpty(), "no offer goes out without a reservation");
    MissionState escalated = get();
    assertEquals(Attempt.State.WITHDRAWN, escalated.attempt(1).orElseThrow().state());
    assertTrue(escalated.escalations().get(0).reason().contains("denied"));

    budgets.deny = false;
    String id = escalated.escalations().get(0).id();
    run(
        r ->
            new Mission.ResolveEscalation(
                id, Escalation.Action.RAISE_BUDGET, Optional.empty(), "raised", OPS, r));
    offer(awaitTold(WorkStatus.Waiting.class).attempt(), "p-1");
    awaitOffers(1);
    assertEquals(Phase.OFFERED, get().phase());
  }

  @Test
  void usingMoreThanTheEstimateStandsTheAttemptDownAndEscalates() {
    running(budgeted("5"));
    MissionState after =
        run(r -> new Mission.Heartbeat(1, Optional.of(0.5), Optional.of(amount("7")), WORKER, r))
            .reply()
            .getValue();
    assertEquals(Phase.ESCALATED, after.phase());
    assertEquals(Attempt.State.STOOD_DOWN, after.attempt(1).orElseThrow().state());
    assertTrue(
        after.escalations().get(0).reason().contains("used 7, more than its reservation of 5"));
    Eventually.assertWithin(
        WAIT, () -> assertEquals(1, inboxes.of(Inbox.MessageType.STAND_DOWN).size()));
    Eventually.assertWithin(WAIT, () -> assertEquals(List.of("ws-1:m-1.a1=7"), budgets.committed));
  }

  @Test
  void afterARestartAnOfferedMissionPlacesTheSameOfferAgainAndAWaitingOneTellsItsDispatcher() {
    submit(spec());
    offer(1, "p-1");
    awaitOffers(1);
    mission.restart();
    awaitOffers(2);
    assertEquals(tasks().get(0).draft(), tasks().get(1).draft());
    assertEquals(Phase.OFFERED, get().phase());

    inboxes.refusing.add("p-1");
    run(r -> new Mission.DeclineOffer(1, "busy", WORKER, r));
    told.clear();
    mission.restart();
    assertEquals(2, awaitTold(WorkStatus.Waiting.class).attempt());
  }

  @Test
  void afterARestartTheHeartbeatLeaseIsArmedAgain() {
    running(spec(new Timeouts(60_000, 600_000, 300), Optional.empty(), false));
    mission.restart();
    Eventually.assertWithin(
        WAIT, () -> assertEquals(Attempt.State.STOOD_DOWN, get().attempt(1).orElseThrow().state()));
  }

  @Test
  void unknownMissionsAndAttemptsAreNotFoundAndPersistNothing() {
    assertEquals(Rejection.Code.NOT_FOUND, code(run(r -> new Mission.Get(OPS, r)).reply()));
    submit(spec());
    offer(1, "p-1");
    var accept = run(r -> new Mission.AcceptOffer(9, WORKER, r));
    assertTrue(accept.events().isEmpty());
    assertEquals(Rejection.Code.NOT_FOUND, code(accept.reply()));
  }

  @Test
  void aCallerOfAnotherWorkspaceFindsNothingAndCannotSubmitThere() {
    Caller other = Caller.in("ws-2", "mallory");
    var forbidden = run(r -> new Mission.Submit(spec(), other, r));
    assertEquals(Rejection.Code.FORBIDDEN, code(forbidden.reply()));
    assertTrue(forbidden.events().isEmpty());
    submit(spec());
    assertEquals(Rejection.Code.NOT_FOUND, code(run(r -> new Mission.Get(other, r)).reply()));
    var cancel = run(r -> new Mission.Cancel("mine now", other, r));
    assertEquals(Rejection.Code.NOT_FOUND, code(cancel.reply()));
    assertTrue(cancel.events().isEmpty());
    assertEquals(Phase.QUEUED, run(r -> new Mission.Get(WORKER, r)).reply().getValue().phase());
  }

  @Test
  void resubmittingTheSameSpecIsIdempotentAndADifferentOneConflicts() {
    submit(spec());
    var same = run(r -> new Mission.Submit(spec(), OPS, r));
    assertTrue(same.events().isEmpty());
    assertEquals(Phase.QUEUED, same.reply().getValue().phase());

    MissionSpec other = spec(settings.defaultTimeouts(), Optional.empty(), true);
    var different = run(r -> new Mission.Submit(other, OPS, r));
    assertTrue(different.events().isEmpty());
    assertEquals(Rejection.Code.CONFLICT, code(different.reply()));
  }

  @Test
  void aFailingCommandIsAnsweredAndTheMissionGoesOnServingItsState() {
    running(spec());
    MissionState before = get();
    clock.breakOnce();
    var failed = run(r -> new Mission.CompleteAttempt(1, input, Optional.empty(), WORKER, r));
    assertEquals(Rejection.Code.INTERNAL_ERROR, code(failed.reply()));
    assertTrue(failed.events().isEmpty());
    assertEquals(before, get());
    assertEquals(
        Phase.SUCCEEDED,
        run(r -> new Mission.CompleteAttempt(1, input, Optional.empty(), WORKER, r))
            .reply()
            .getValue()
            .phase());
  }

  /** The system clock, but its next reading throws after {@link #breakOnce()}. */
  private static final class BreakableClock extends Clock {
    private volatile boolean broken;

    void breakOnce() {
      broken = true;
    }

    @Override
    public Instant instant() {
      if (broken) {
        broken = false;
        throw new IllegalStateException("the test broke the clock");
      }
      return Instant.now();
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}
