package dev.muster.coordinator.mission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.typesafe.config.ConfigFactory;
import dev.muster.config.Rejection;
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
import dev.muster.coordinator.model.Phase;
import dev.muster.coordinator.model.Requirements;
import dev.muster.registry.inbox.Inbox;
import dev.muster.testing.Eventually;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
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
 * with recording doubles for dispatch and the mission tree. Timers run in real time with short
 * timeouts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MissionTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private final ActorTestKit testKit =
      ActorTestKit.create(
          EventSourcedBehaviorTestKit.config()
              .withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
              .withFallback(ConfigFactory.load()));
  private final CoordinatorSettings settings =
      new CoordinatorSettings(
          Duration.ofMillis(50),
          Duration.ofMillis(50),
          Duration.ofSeconds(1),
          "operators",
          new RetryPolicy(3, 50, 2.0, 1000, Set.of()),
          new Timeouts(60_000, 600_000, 30_000));
  private final JsonNode input = JsonNodeFactory.instance.objectNode().put("repo", "x");

  private RecordingDispatch dispatch;
  private RecordingPeers peers;
  private RecordingBudgets budgets;
  private EventSourcedBehaviorTestKit<Mission.Command, Mission.Event, Mission.State> mission;

  @BeforeEach
  void fresh() {
    dispatch = new RecordingDispatch();
    peers = new RecordingPeers();
    budgets = new RecordingBudgets();
    mission =
        EventSourcedBehaviorTestKit.create(
            testKit.system(),
            Mission.create("m-1", dispatch, peers, budgets, settings, Clock.systemUTC()));
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
        Optional.empty());
  }

  private MissionSpec spec() {
    return spec(settings.defaultTimeouts(), Optional.empty(), false);
  }

  private MissionSpec budgeted(double estimate) {
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
        Optional.of(new MissionSpec.BudgetRef("ws-1", estimate)),
        false,
        Optional.empty());
  }

  private CommandResultWithReply<
          Mission.Command, Mission.Event, Mission.State, StatusReply<MissionState>>
      run(Function<ActorRef<StatusReply<MissionState>>, Mission.Command> command) {
    return mission.runCommand(command::apply);
  }

  private MissionState submit(MissionSpec spec) {
    return run(r -> new Mission.Submit(spec, r)).reply().getValue();
  }

  private MissionState get() {
    return run(Mission.Get::new).reply().getValue();
  }

  private static String code(StatusReply<?> reply) {
    return Rejection.parse(reply.getError().getMessage()).code();
  }

  private List<Decision.Kind> decisions() {
    return get().decisions().stream().map(d -> d.decision().kind()).toList();
  }

  private List<RecordingDispatch.Placed> tasks() {
    return dispatch.offersOf(Inbox.MessageType.TASK_OFFER);
  }

  private void awaitOffers(int count) {
    Eventually.assertWithin(
        WAIT, () -> assertEquals(count, dispatch.offersOf(Inbox.MessageType.TASK_OFFER).size()));
  }

  private static Attempt.Failure failure(
      boolean retryable, Attempt.CleanupStatus cleanup, Optional<String> recovery) {
    return new Attempt.Failure("boom", retryable, Optional.empty(), cleanup, recovery);
  }

  @Test
  void submitWithACapableParticipantDecidesToProceedAndPlacesTheOffer() {
    dispatch.available.add("p-1");
    var result = run(r -> new Mission.Submit(spec(), r));

    assertEquals(2, result.events().size());
    assertInstanceOf(Mission.MissionSubmitted.class, result.events().get(0));
    Mission.DecisionMade made = (Mission.DecisionMade) result.events().get(1);
    assertEquals(
        new Decision.Proceed("p-1", 1, "p-1 covers the requirements and has room"),
        made.decision());
    assertEquals(Phase.OFFERED, result.reply().getValue().phase());
    awaitOffers(1);
    RecordingDispatch.Placed placed = tasks().get(0);
    assertEquals("p-1", placed.participantId());
    assertEquals("m-1.a1", placed.draft().messageId());
    assertEquals("x", placed.draft().payload().get("input").get("repo").asText());
  }

  @Test
  void acceptAndCompleteMakeTheMissionSucceedAndARepeatChangesNothing() {
    dispatch.available.add("p-1");
    submit(spec());
    assertEquals(Phase.RUNNING, run(r -> new Mission.AcceptOffer(1, r)).reply().getValue().phase());

    JsonNode result = JsonNodeFactory.instance.objectNode().put("ok", true);
    MissionState state =
        run(r -> new Mission.CompleteAttempt(1, result, Optional.of(2.5), r)).reply().getValue();
    assertEquals(Phase.SUCCEEDED, state.phase());
    Attempt attempt = state.attempt(1).orElseThrow();
    assertEquals(Attempt.State.SUCCEEDED, attempt.state());
    assertEquals(result, attempt.result());
    assertEquals(2.5, attempt.cost());
    assertEquals(List.of(Decision.Kind.PROCEED, Decision.Kind.COMPLETE), decisions());
    assertEquals(List.of("p-1"), dispatch.released);

    var again = run(r -> new Mission.CompleteAttempt(1, result, Optional.empty(), r));
    assertTrue(again.events().isEmpty(), "a repeated completion changes nothing");
    assertEquals(Phase.SUCCEEDED, again.reply().getValue().phase());
  }

  @Test
  void withoutAParticipantTheMissionWaitsQueuedAndProceedsWhenOneJoins() {
    var result = run(r -> new Mission.Submit(spec(), r));
    assertInstanceOf(Mission.MissionQueued.class, result.events().get(1));
    assertEquals(Phase.QUEUED, result.reply().getValue().phase());

    dispatch.available.add("p-7");
    awaitOffers(1);
    assertEquals("p-7", tasks().get(0).participantId());
    assertEquals(Phase.OFFERED, get().phase());
  }

  @Test
  void noCapableParticipantWithinScheduleToStartEscalates() {
    submit(spec(new Timeouts(200, 600_000, 30_000), Optional.empty(), false));
    Eventually.assertWithin(WAIT, () -> assertEquals(Phase.ESCALATED, get().phase()));
    assertTrue(
        get().escalations().get(0).reason().contains("no capable participant"),
        get().escalations().toString());
  }

  @Test
  void aRefusedOfferGoesToAnotherParticipantAsANewAttempt() {
    dispatch.available.addAll(List.of("p-1", "p-2"));
    dispatch.refusing.add("p-1");
    submit(spec());

    awaitOffers(2);
    assertEquals("p-2", tasks().get(1).participantId());
    assertEquals("m-1.a2", tasks().get(1).draft().messageId());
    MissionState state = get();
    assertEquals(Attempt.State.WITHDRAWN, state.attempt(1).orElseThrow().state());
    assertEquals(Attempt.State.OFFERED, state.attempt(2).orElseThrow().state());

    var stale = run(r -> new Mission.CompleteAttempt(1, input, Optional.empty(), r));
    assertTrue(stale.events().isEmpty());
    assertEquals("stale_attempt", code(stale.reply()));
  }

  @Test
  void aRetryableFailureIsRetriedAfterBackoffOnAnotherParticipant() {
    dispatch.available.addAll(List.of("p-1", "p-2"));
    submit(spec());
    run(r -> new Mission.AcceptOffer(1, r));
    MissionState failed =
        run(r ->
                new Mission.FailAttempt(
                    1,
                    failure(true, Attempt.CleanupStatus.CLEAN, Optional.empty()),
                    Optional.empty(),
                    r))
            .reply()
            .getValue();
    assertEquals(Phase.RETRYING, failed.phase());

    awaitOffers(2);
    assertEquals("p-2", tasks().get(1).participantId(), "a retry prefers another participant");
    assertEquals(
        List.of(Decision.Kind.PROCEED, Decision.Kind.RETRY, Decision.Kind.PROCEED), decisions());
  }

  @Test
  void aSilentWorkerIsStoodDownAndItsAttemptRetriedElsewhere() {
    dispatch.available.addAll(List.of("p-1", "p-2"));
    submit(spec(new Timeouts(60_000, 600_000, 300), Optional.empty(), false));
    run(r -> new Mission.AcceptOffer(1, r));

    awaitOffers(2);
    assertEquals("p-2", tasks().get(1).participantId());
    List<RecordingDispatch.Placed> standDowns = dispatch.offersOf(Inbox.MessageType.STAND_DOWN);
    assertEquals(1, standDowns.size());
    assertEquals("p-1", standDowns.get(0).participantId());
    assertEquals(Attempt.State.STOOD_DOWN, get().attempt(1).orElseThrow().state());
    assertEquals(
        List.of(
            Decision.Kind.PROCEED,
            Decision.Kind.STAND_DOWN,
            Decision.Kind.RETRY,
            Decision.Kind.PROCEED),
        decisions());

    var late = run(r -> new Mission.Heartbeat(1, Optional.of(0.9), Optional.empty(), r));
    assertEquals("stale_attempt", code(late.reply()), "the stalled worker is told to stand down");
  }

  @Test
  void heartbeatsKeepAnAttemptAliveAcrossItsLease() {
    dispatch.available.add("p-1");
    submit(spec(new Timeouts(60_000, 600_000, 400), Optional.empty(), false));
    run(r -> new Mission.AcceptOffer(1, r));
    long until = System.nanoTime() + Duration.ofMillis(1200).toNanos();
    int beat = 0;
    while (System.nanoTime() < until) {
      double progress = ++beat / 100.0;
      run(r -> new Mission.Heartbeat(1, Optional.of(progress), Optional.empty(), r));
      Eventually.assertWithin(WAIT, () -> assertEquals(Phase.RUNNING, get().phase()));
      testKit.createTestProbe().expectNoMessage(Duration.ofMillis(100));
    }
    assertEquals(Phase.RUNNING, get().phase());
    assertEquals(Attempt.State.RUNNING, get().attempt(1).orElseThrow().state());
  }

  @Test
  void retriesExhaustedEscalateAndAnOperatorRetryStartsAFreshRound() {
    dispatch.available.add("p-1");
    submit(spec());
    Attempt.Failure boom = failure(true, Attempt.CleanupStatus.CLEAN, Optional.empty());
    for (int n = 1; n <= 3; n++) {
      int attempt = n;
      awaitOffers(n);
      run(r -> new Mission.AcceptOffer(attempt, r));
      run(r -> new Mission.FailAttempt(attempt, boom, Optional.empty(), r));
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
                    "ops",
                    r));
    assertEquals(Phase.RETRYING, resolved.reply().getValue().phase());
    awaitOffers(4);

    var twice =
        run(
            r ->
                new Mission.ResolveEscalation(
                    escalation.id(), Escalation.Action.RETRY, Optional.empty(), "", "ops", r));
    assertEquals("already_resolved", code(twice.reply()));
    assertTrue(twice.events().isEmpty());
  }

  @Test
  void needsRecoveryEscalatesAndTheActionRunsOnlyWhenAnOperatorConfirmsIt() {
    dispatch.available.add("p-1");
    submit(spec());
    run(r -> new Mission.AcceptOffer(1, r));
    run(
        r ->
            new Mission.FailAttempt(
                1,
                failure(true, Attempt.CleanupStatus.NEEDS_RECOVERY, Optional.of("drop table tmp")),
                Optional.empty(),
                r));
    MissionState escalated = get();
    assertEquals(Phase.ESCALATED, escalated.phase());
    assertEquals(Optional.of("drop table tmp"), escalated.escalations().get(0).recoveryAction());
    assertTrue(
        dispatch.offersOf(Inbox.MessageType.RECOVERY_REQUESTED).isEmpty(), "never automatic");

    String id = escalated.escalations().get(0).id();
    run(
        r ->
            new Mission.ResolveEscalation(
                id, Escalation.Action.CONFIRM_RECOVERY, Optional.empty(), "ok", "ops", r));
    Eventually.assertWithin(
        WAIT,
        () -> assertEquals(1, dispatch.offersOf(Inbox.MessageType.RECOVERY_REQUESTED).size()));
    assertEquals(
        "drop table tmp",
        dispatch
            .offersOf(Inbox.MessageType.RECOVERY_REQUESTED)
            .get(0)
            .draft()
            .payload()
            .get("recovery_action")
            .asText());
  }

  @Test
  void confirmingARecoveryThatDoesNotExistIsRefused() {
    dispatch.available.add("p-1");
    submit(spec());
    run(r -> new Mission.AcceptOffer(1, r));
    run(
        r ->
            new Mission.FailAttempt(
                1,
                failure(false, Attempt.CleanupStatus.CLEAN, Optional.empty()),
                Optional.empty(),
                r));
    String id = get().escalations().get(0).id();
    var refused =
        run(
            r ->
                new Mission.ResolveEscalation(
                    id, Escalation.Action.CONFIRM_RECOVERY, Optional.empty(), "", "ops", r));
    assertEquals("conflict", code(refused.reply()));
    assertTrue(refused.events().isEmpty());
  }

  @Test
  void aSplitSubmitsItsChildrenAndCompletesWhenTheyAllSucceed() {
    List<ChildSpec> children =
        List.of(
            new ChildSpec("a", Set.of("code"), Set.of(), input),
            new ChildSpec("b", Set.of("code"), Set.of(), input));
    submit(
        spec(
            settings.defaultTimeouts(),
            Optional.of(new SplitPlan(JoinMode.parse("all"), children)),
            false));
    assertEquals(Phase.SPLIT, get().phase());
    Eventually.assertWithin(WAIT, () -> assertEquals(List.of("m-1.c1", "m-1.c2"), peers.submitted));

    run(r -> new Mission.ReportChild("m-1.c1", Phase.SUCCEEDED, r));
    assertEquals(Phase.SPLIT, get().phase());
    var repeat = run(r -> new Mission.ReportChild("m-1.c1", Phase.SUCCEEDED, r));
    assertTrue(repeat.events().isEmpty(), "a repeated report changes nothing");
    run(r -> new Mission.ReportChild("m-1.c2", Phase.SUCCEEDED, r));
    assertEquals(Phase.SUCCEEDED, get().phase());
    assertEquals(List.of(Decision.Kind.SPLIT, Decision.Kind.COMPLETE), decisions());
  }

  @Test
  void cancelStandsDownTheRunningWorkerAndTheChildren() {
    dispatch.available.add("p-1");
    submit(spec());
    run(r -> new Mission.AcceptOffer(1, r));
    MissionState cancelled =
        run(r -> new Mission.Cancel("not needed", "ops", r)).reply().getValue();
    assertEquals(Phase.CANCELLED, cancelled.phase());
    Eventually.assertWithin(
        WAIT, () -> assertEquals(1, dispatch.offersOf(Inbox.MessageType.STAND_DOWN).size()));
    var late = run(r -> new Mission.CompleteAttempt(1, input, Optional.empty(), r));
    assertEquals("stale_attempt", code(late.reply()));
    var again = run(r -> new Mission.Cancel("again", "ops", r));
    assertTrue(again.events().isEmpty(), "cancelling twice changes nothing");
  }

  @Test
  void anApprovalGateHoldsTheMissionUntilAnOperatorAnswers() {
    dispatch.available.add("p-1");
    MissionState submitted = submit(spec(settings.defaultTimeouts(), Optional.empty(), true));
    assertEquals(Phase.AWAITING_APPROVAL, submitted.phase());
    assertTrue(tasks().isEmpty());

    MissionState approved =
        run(r -> new Mission.Approve(true, "looks fine", "ops", r)).reply().getValue();
    assertEquals(Phase.OFFERED, approved.phase());
    awaitOffers(1);
    var twice = run(r -> new Mission.Approve(false, "", "ops", r));
    assertEquals("conflict", code(twice.reply()));
  }

  @Test
  void aHandoffOffersTheNextAttemptToWhoeverMeetsTheNewRequirements() {
    dispatch.available.add("p-1");
    submit(spec());
    run(r -> new Mission.AcceptOffer(1, r));
    Requirements reviewer =
        new Requirements(Set.of("review"), Set.of("reviewer"), Optional.of("p-9"));
    MissionState handed =
        run(r -> new Mission.HandOff(1, reviewer, "please review", r)).reply().getValue();
    assertEquals(Attempt.State.HANDED_OFF, handed.attempt(1).orElseThrow().state());
    assertEquals("p-9", handed.attempt(2).orElseThrow().participantId());
    assertEquals(1, handed.handoffs().size());
    awaitOffers(2);
    assertEquals("p-9", tasks().get(1).participantId());
  }

  @Test
  void anOfferGoesOutOnlyAfterItsEstimateIsReservedAndTheUsageIsCommitted() {
    dispatch.available.add("p-1");
    submit(budgeted(5));
    awaitOffers(1);
    assertEquals(List.of("ws-1:m-1.a1=5.0"), budgets.reserved);
    run(r -> new Mission.AcceptOffer(1, r));
    run(r -> new Mission.CompleteAttempt(1, input, Optional.of(3.5), r));
    Eventually.assertWithin(
        WAIT, () -> assertEquals(List.of("ws-1:m-1.a1=3.5"), budgets.committed));
  }

  @Test
  void aDeniedReservationEscalatesAndRaisingTheBudgetResumes() {
    dispatch.available.add("p-1");
    budgets.deny = true;
    submit(budgeted(5));
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
                id, Escalation.Action.RAISE_BUDGET, Optional.empty(), "raised", "ops", r));
    awaitOffers(1);
    assertEquals(Phase.OFFERED, get().phase());
  }

  @Test
  void usingMoreThanTheReservationStandsTheAttemptDownAndEscalates() {
    dispatch.available.add("p-1");
    submit(budgeted(5));
    run(r -> new Mission.AcceptOffer(1, r));
    MissionState after =
        run(r -> new Mission.Heartbeat(1, Optional.of(0.5), Optional.of(7.0), r))
            .reply()
            .getValue();
    assertEquals(Phase.ESCALATED, after.phase());
    assertEquals(Attempt.State.STOOD_DOWN, after.attempt(1).orElseThrow().state());
    Eventually.assertWithin(
        WAIT, () -> assertEquals(1, dispatch.offersOf(Inbox.MessageType.STAND_DOWN).size()));
    Eventually.assertWithin(
        WAIT, () -> assertEquals(List.of("ws-1:m-1.a1=7.0"), budgets.committed));
  }

  @Test
  void afterARestartAnOfferedMissionPlacesTheSameOfferAgain() {
    dispatch.available.add("p-1");
    submit(spec());
    awaitOffers(1);

    mission.restart();

    awaitOffers(2);
    assertEquals(tasks().get(0).draft(), tasks().get(1).draft());
    assertEquals(Phase.OFFERED, get().phase());
  }

  @Test
  void afterARestartTheHeartbeatLeaseIsArmedAgain() {
    dispatch.available.addAll(List.of("p-1", "p-2"));
    submit(spec(new Timeouts(60_000, 600_000, 300), Optional.empty(), false));
    run(r -> new Mission.AcceptOffer(1, r));

    mission.restart();

    Eventually.assertWithin(
        WAIT, () -> assertEquals(Attempt.State.STOOD_DOWN, get().attempt(1).orElseThrow().state()));
    awaitOffers(2);
  }

  @Test
  void unknownMissionsAndAttemptsAreNotFoundAndPersistNothing() {
    assertEquals("not_found", code(run(Mission.Get::new).reply()));

    dispatch.available.add("p-1");
    submit(spec());
    var accept = run(r -> new Mission.AcceptOffer(9, r));
    assertTrue(accept.events().isEmpty());
    assertEquals("not_found", code(accept.reply()));
  }

  @Test
  void resubmittingTheSameSpecIsIdempotentAndADifferentOneConflicts() {
    dispatch.available.add("p-1");
    submit(spec());
    var same = run(r -> new Mission.Submit(spec(), r));
    assertTrue(same.events().isEmpty());
    assertEquals(Phase.OFFERED, same.reply().getValue().phase());

    MissionSpec other = spec(settings.defaultTimeouts(), Optional.empty(), true);
    var different = run(r -> new Mission.Submit(other, r));
    assertTrue(different.events().isEmpty());
    assertEquals("conflict", code(different.reply()));
  }
}
