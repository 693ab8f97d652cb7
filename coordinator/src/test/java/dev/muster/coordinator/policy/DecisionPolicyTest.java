package dev.muster.coordinator.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.NullNode;
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
import dev.muster.coordinator.model.Phase;
import dev.muster.runtime.dispatch.Requirements;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** One row per rule of the decision policy: a mission's state, a signal, the decisions expected. */
class DecisionPolicyTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
  private static final DecisionPolicy POLICY = new DecisionPolicy("operators");
  private static final RetryPolicy RETRY = new RetryPolicy(3, 100, 2.0, 10_000, Set.of());
  private static final Timeouts TIMEOUTS = new Timeouts(60_000, 600_000, 30_000);

  private static MissionSpec spec(Optional<SplitPlan> split) {
    return new MissionSpec(
        "ws-1",
        "t",
        Optional.empty(),
        Set.of("code"),
        Set.of(),
        NullNode.instance,
        RETRY,
        TIMEOUTS,
        split,
        Optional.empty(),
        false,
        Optional.empty(),
        0);
  }

  private static MissionState budgeted(String estimate) {
    MissionSpec s = spec(Optional.empty());
    return MissionState.submitted(
        "m",
        new MissionSpec(
            s.workspace(),
            s.title(),
            s.spec(),
            s.requiredCapabilities(),
            s.requiredRoles(),
            s.input(),
            s.retryPolicy(),
            s.timeouts(),
            s.split(),
            Optional.of(new MissionSpec.BudgetRef("ws-1", Amount.parse(new BigDecimal(estimate)))),
            false,
            Optional.empty(),
            0),
        T);
  }

  private static final MissionState SUBMITTED =
      MissionState.submitted("m", spec(Optional.empty()), T);

  private static MissionState offered(String participant) {
    return SUBMITTED.decided(new Decision.Proceed(participant, 1, "r"), T);
  }

  private static MissionState running(String participant) {
    return offered(participant).accepted(1, T);
  }

  private static MissionState failedWith(MissionState running, int attempt, Attempt.Failure f) {
    return running.failed(attempt, f, Optional.empty(), T);
  }

  private static Attempt.Failure failure(
      boolean retryable, Attempt.CleanupStatus cleanup, Optional<String> recovery) {
    return new Attempt.Failure("boom", retryable, Optional.empty(), cleanup, recovery);
  }

  /** A mission whose attempts 1 and 2 failed and attempt 3 runs on p-3. */
  private static MissionState thirdAttemptRunning() {
    Attempt.Failure f = failure(true, Attempt.CleanupStatus.CLEAN, Optional.empty());
    MissionState s = failedWith(running("p-1"), 1, f);
    s = s.decided(new Decision.Retry(2, 100, List.of("p-1"), "r"), T);
    s = s.decided(new Decision.Proceed("p-2", 2, "r"), T).accepted(2, T);
    s = failedWith(s, 2, f).decided(new Decision.Retry(3, 200, List.of("p-1", "p-2"), "r"), T);
    return s.decided(new Decision.Proceed("p-3", 3, "r"), T).accepted(3, T);
  }

  private static MissionState split(String join, int children) {
    List<ChildSpec> kids =
        java.util.stream.IntStream.range(0, children)
            .mapToObj(i -> new ChildSpec("c" + i, Set.of("code"), Set.of(), NullNode.instance))
            .toList();
    MissionState s =
        MissionState.submitted(
            "m", spec(Optional.of(new SplitPlan(JoinMode.parse(join), kids))), T);
    List<String> ids =
        java.util.stream.IntStream.range(0, children).mapToObj(i -> "m.c" + (i + 1)).toList();
    return s.decided(new Decision.Split(ids, join, "r"), T);
  }

  private static MissionState escalated(MissionState s, Optional<String> recovery) {
    return s.decided(new Decision.Escalate("m.e1", "operators", recovery, "r"), T);
  }

  static Stream<Arguments> rules() {
    return Stream.of(
        row("submitted -> nothing yet: it waits in the backlog", SUBMITTED, new Signal.Submitted()),
        row(
            "queued, the backlog offers attempt 1 -> proceed to that participant",
            SUBMITTED.queued(T),
            new Signal.Offered(1, "p-1"),
            new Decision.Proceed("p-1", 1, "p-1 covers the requirements and has room")),
        row(
            "queued, the backlog offers another attempt than the one it waits for -> nothing",
            SUBMITTED.queued(T),
            new Signal.Offered(2, "p-1")),
        row(
            "offered already, the backlog offers again -> nothing",
            offered("p-1"),
            new Signal.Offered(1, "p-2")),
        row(
            "submitted with a split plan -> split into children",
            MissionState.submitted(
                "m",
                spec(
                    Optional.of(
                        new SplitPlan(
                            JoinMode.parse("all"),
                            List.of(
                                new ChildSpec("a", Set.of(), Set.of(), NullNode.instance),
                                new ChildSpec("b", Set.of(), Set.of(), NullNode.instance))))),
                T),
            new Signal.Submitted(),
            new Decision.Split(
                List.of("m.c1", "m.c2"), "all", "the spec splits into 2 children joined all")),
        row(
            "approval granted -> nothing yet: it waits in the backlog",
            SUBMITTED.awaitingApproval(T),
            new Signal.ApprovalGiven(true, "ok")),
        row(
            "approval denied -> fail",
            SUBMITTED.awaitingApproval(T),
            new Signal.ApprovalGiven(false, "too risky"),
            new Decision.Fail("approval denied: too risky")),
        row(
            "the backlog gives the waiting mission up -> escalate with its reason",
            SUBMITTED.queued(T),
            new Signal.GivenUp(1, "no capable participant took the mission within 60 s"),
            new Decision.Escalate(
                "m.e1",
                "operators",
                Optional.empty(),
                "no capable participant took the mission within 60 s")),
        row(
            "the backlog gives up an attempt the mission no longer waits for -> nothing",
            offered("p-1"),
            new Signal.GivenUp(1, "late")),
        row(
            "offer refused -> back in the backlog after the first backoff, avoiding that participant",
            offered("p-1").withdrawn(1, "full", T),
            new Signal.OfferRefused(1, "p-1", "inbox full"),
            new Decision.Retry(
                2,
                100,
                List.of("p-1"),
                "the inbox of p-1 refused the offer (inbox full); back in the backlog after 100 ms")),
        row(
            "offer declined -> back in the backlog, avoiding that participant",
            offered("p-1").withdrawn(1, "declined", T),
            new Signal.OfferDeclined(1, "p-1", "busy"),
            new Decision.Retry(
                2, 0, List.of("p-1"), "p-1 declined the offer (busy); back in the backlog")),
        row(
            "offer expired -> stand the offer down, back in the backlog",
            offered("p-1"),
            new Signal.OfferExpired(1, "p-1"),
            new Decision.StandDown(
                List.of(1),
                List.of("p-1"),
                List.of(),
                Optional.empty(),
                "p-1 did not accept the offer within 60 s"),
            new Decision.Retry(
                2,
                0,
                List.of("p-1"),
                "p-1 did not accept the offer within 60 s; back in the backlog")),
        row(
            "heartbeat lease expired -> stand down the stalled attempt and retry elsewhere",
            running("p-1"),
            new Signal.HeartbeatExpired(1, "p-1"),
            new Decision.StandDown(
                List.of(1),
                List.of("p-1"),
                List.of(),
                Optional.empty(),
                "no heartbeat from p-1 for 30 s"),
            new Decision.Retry(
                2,
                100,
                List.of("p-1"),
                "no heartbeat from p-1 for 30 s; retry 1 of 2 after 100 ms, preferring another"
                    + " participant")),
        row(
            "start-to-close exceeded -> stand down and retry",
            running("p-1"),
            new Signal.StartToCloseExpired(1, "p-1"),
            new Decision.StandDown(
                List.of(1),
                List.of("p-1"),
                List.of(),
                Optional.empty(),
                "attempt 1 ran longer than 600 s"),
            new Decision.Retry(
                2,
                100,
                List.of("p-1"),
                "attempt 1 ran longer than 600 s; retry 1 of 2 after 100 ms, preferring another"
                    + " participant")),
        row(
            "attempt succeeded -> complete",
            running("p-1").succeeded(1, NullNode.instance, Optional.empty(), T),
            new Signal.AttemptSucceeded(1),
            new Decision.Complete("attempt 1 by p-1 succeeded")),
        row(
            "retryable failure with attempts left -> retry after backoff, avoiding the participant",
            failedWith(
                running("p-1"), 1, failure(true, Attempt.CleanupStatus.CLEAN, Optional.empty())),
            new Signal.AttemptFailed(1),
            new Decision.Retry(
                2,
                100,
                List.of("p-1"),
                "attempt 1 by p-1 failed: boom; retry 1 of 2 after 100 ms, preferring another"
                    + " participant")),
        row(
            "retryable failure with partial cleanup -> retry, and say so",
            failedWith(
                running("p-1"), 1, failure(true, Attempt.CleanupStatus.PARTIAL, Optional.empty())),
            new Signal.AttemptFailed(1),
            new Decision.Retry(
                2,
                100,
                List.of("p-1"),
                "attempt 1 by p-1 failed: boom (cleanup was partial); retry 1 of 2 after 100 ms,"
                    + " preferring another participant")),
        row(
            "retries exhausted -> escalate",
            failedWith(
                thirdAttemptRunning(),
                3,
                failure(true, Attempt.CleanupStatus.CLEAN, Optional.empty())),
            new Signal.AttemptFailed(3),
            new Decision.Escalate(
                "m.e1",
                "operators",
                Optional.empty(),
                "attempt 3 by p-3 failed: boom; retries exhausted (3 of 3 attempts failed)")),
        row(
            "non-retryable failure -> escalate",
            failedWith(
                running("p-1"), 1, failure(false, Attempt.CleanupStatus.CLEAN, Optional.empty())),
            new Signal.AttemptFailed(1),
            new Decision.Escalate(
                "m.e1",
                "operators",
                Optional.empty(),
                "attempt 1 by p-1 failed: boom; not retryable")),
        row(
            "needs_recovery -> escalate with the recovery action, never run automatically",
            failedWith(
                running("p-1"),
                1,
                failure(
                    true, Attempt.CleanupStatus.NEEDS_RECOVERY, Optional.of("git reset --hard"))),
            new Signal.AttemptFailed(1),
            new Decision.Escalate(
                "m.e1",
                "operators",
                Optional.of("git reset --hard"),
                "attempt 1 by p-1 failed: boom; it needs recovery (git reset --hard), which waits"
                    + " for an operator's confirmation")),
        row(
            "join all: the last child succeeds -> complete",
            split("all", 2)
                .childReported("m.c1", Phase.SUCCEEDED, T)
                .childReported("m.c2", Phase.SUCCEEDED, T),
            new Signal.ChildReported("m.c2", Phase.SUCCEEDED),
            new Decision.Complete("2 of 2 children succeeded (join all)")),
        row(
            "join all: one child succeeded, another still works -> nothing yet",
            split("all", 2).childReported("m.c1", Phase.SUCCEEDED, T),
            new Signal.ChildReported("m.c1", Phase.SUCCEEDED)),
        row(
            "join all: a child escalated -> escalate",
            split("all", 2).childReported("m.c1", Phase.ESCALATED, T),
            new Signal.ChildReported("m.c1", Phase.ESCALATED),
            new Decision.Escalate(
                "m.e1",
                "operators",
                Optional.empty(),
                "child m.c1 escalated and join all needs every child")),
        row(
            "join all, escalated: the escalated child recovers and all succeed -> complete",
            escalated(
                    split("all", 2)
                        .childReported("m.c1", Phase.SUCCEEDED, T)
                        .childReported("m.c2", Phase.ESCALATED, T),
                    Optional.empty())
                .childReported("m.c2", Phase.SUCCEEDED, T),
            new Signal.ChildReported("m.c2", Phase.SUCCEEDED),
            new Decision.Complete("2 of 2 children succeeded (join all)")),
        row(
            "join first: the first success -> stand down the siblings and complete",
            split("first", 3).childReported("m.c2", Phase.SUCCEEDED, T),
            new Signal.ChildReported("m.c2", Phase.SUCCEEDED),
            new Decision.StandDown(
                List.of(),
                List.of(),
                List.of("m.c1", "m.c3"),
                Optional.empty(),
                "join first is satisfied; the other children are no longer needed"),
            new Decision.Complete("1 of 3 children succeeded (join first)")),
        row(
            "join quorum:2: the second success -> stand down the rest and complete",
            split("quorum:2", 3)
                .childReported("m.c1", Phase.SUCCEEDED, T)
                .childReported("m.c3", Phase.SUCCEEDED, T),
            new Signal.ChildReported("m.c3", Phase.SUCCEEDED),
            new Decision.StandDown(
                List.of(),
                List.of(),
                List.of("m.c2"),
                Optional.empty(),
                "join quorum:2 is satisfied; the other children are no longer needed"),
            new Decision.Complete("2 of 3 children succeeded (join quorum:2)")),
        row(
            "join quorum:2: two of three failed -> escalate, the quorum cannot be met",
            split("quorum:2", 3)
                .childReported("m.c1", Phase.FAILED, T)
                .childReported("m.c2", Phase.CANCELLED, T),
            new Signal.ChildReported("m.c2", Phase.CANCELLED),
            new Decision.Escalate(
                "m.e1",
                "operators",
                Optional.empty(),
                "join quorum:2 cannot be met: 2 of 3 children ended without success (last: m.c2"
                    + " cancelled)")),
        row(
            "handed off -> back in the backlog with the new requirements",
            running("p-1")
                .handedOff(
                    new MissionState.Handoff(
                        1,
                        "p-1",
                        new Requirements(Set.of("review"), Set.of(), Optional.empty()),
                        "needs review",
                        T)),
            new Signal.HandedOff(1, "needs review"),
            new Decision.Retry(
                2,
                0,
                List.of(),
                "p-1 handed attempt 1 on (needs review); waiting for capabilities [review]")),
        row(
            "operator retry -> retry now",
            escalated(running("p-1"), Optional.empty()),
            new Signal.EscalationResolved("m.e1", Escalation.Action.RETRY, "go", Optional.empty()),
            new Decision.Retry(2, 0, List.of(), "operator resolved m.e1 with retry (go)")),
        row(
            "operator reassign -> back in the backlog, for the named participant",
            escalated(running("p-1"), Optional.empty()),
            new Signal.EscalationResolved(
                "m.e1", Escalation.Action.REASSIGN, "", Optional.of("p-7")),
            new Decision.Retry(
                2,
                0,
                List.of(),
                "operator resolved m.e1 with reassign; waiting for p-7 to have room")),
        row(
            "operator accepts the failure -> fail",
            escalated(
                running("p-1")
                    .failed(
                        1,
                        failure(false, Attempt.CleanupStatus.CLEAN, Optional.empty()),
                        Optional.empty(),
                        T),
                Optional.empty()),
            new Signal.EscalationResolved(
                "m.e1", Escalation.Action.ACCEPT_FAILURE, "fine", Optional.empty()),
            new Decision.Fail("operator resolved m.e1 with accept_failure (fine)")),
        row(
            "cancel -> stand down the running attempt and every unfinished child, cancelled",
            split("all", 2).childReported("m.c1", Phase.SUCCEEDED, T),
            new Signal.CancelRequested("no longer needed"),
            new Decision.StandDown(
                List.of(),
                List.of(),
                List.of("m.c2"),
                Optional.of(Phase.CANCELLED),
                "cancelled: no longer needed")),
        row(
            "the budget denies the reservation -> escalate (raise the budget to resume)",
            offered("p-1").withdrawn(1, "budget denied", T),
            new Signal.BudgetDenied(1, "ws-1", "limit reached"),
            new Decision.Escalate(
                "m.e1",
                "operators",
                Optional.empty(),
                "budget ws-1 denied the reservation for attempt 1 (limit reached); raise the"
                    + " budget and resume")),
        row(
            "an attempt reports more usage than its estimate -> stand it down and escalate",
            budgeted("5")
                .decided(new Decision.Proceed("p-1", 1, "r"), T)
                .accepted(1, T)
                .heartbeat(1, Optional.empty(), Optional.of(Amount.units(7)), T),
            new Signal.UsageReported(1),
            new Decision.StandDown(
                List.of(1),
                List.of("p-1"),
                List.of(),
                Optional.empty(),
                "attempt 1 used 7, more than its reservation of 5 on budget ws-1"),
            new Decision.Escalate(
                "m.e1",
                "operators",
                Optional.empty(),
                "attempt 1 used 7, more than its reservation of 5 on budget ws-1")),
        row(
            "an attempt reports usage within its estimate -> nothing",
            budgeted("5")
                .decided(new Decision.Proceed("p-1", 1, "r"), T)
                .accepted(1, T)
                .heartbeat(1, Optional.empty(), Optional.of(Amount.units(5)), T),
            new Signal.UsageReported(1)),
        row(
            "a mission without a budget reports usage -> nothing",
            running("p-1").heartbeat(1, Optional.empty(), Optional.of(Amount.units(99)), T),
            new Signal.UsageReported(1)),
        row(
            "a finished mission decides nothing more",
            running("p-1")
                .succeeded(1, NullNode.instance, Optional.empty(), T)
                .decided(new Decision.Complete("r"), T),
            new Signal.Offered(2, "p-2")));
  }

  private static Arguments row(
      String rule, MissionState state, Signal signal, Decision... expected) {
    return Arguments.of(rule, state, signal, List.of(expected));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rules")
  void rule(String rule, MissionState state, Signal signal, List<Decision> expected) {
    assertEquals(expected, POLICY.decide(state, signal));
  }
}
