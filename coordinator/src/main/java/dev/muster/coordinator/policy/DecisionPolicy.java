package dev.muster.coordinator.policy;

import dev.muster.coordinator.model.Attempt;
import dev.muster.coordinator.model.Decision;
import dev.muster.coordinator.model.MissionSpec;
import dev.muster.coordinator.model.MissionState;
import dev.muster.coordinator.model.Phase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * The coordinator's brain: from a mission's state and a signal to decisions with their reasons.
 * Pure and deterministic (no clock, no I/O, no actors): whatever it needs arrives in the state or
 * the signal, so every decision can be replayed and is table-tested. An empty list means "nothing
 * to decide"; several decisions are made together when one signal calls for them (stand down the
 * stalled attempt, then retry it elsewhere).
 *
 * <p>Who takes an attempt is the backlog's to say: a mission that needs a participant is queued
 * ({@code retry} with no backoff puts it back in the queue, preferring other participants than the
 * ones it avoids), and {@link Signal.Offered} proceeds with the participant the backlog offers.
 */
public final class DecisionPolicy {
  private final String escalationTarget;

  /** {@code escalationTarget}: who escalations go to. */
  public DecisionPolicy(String escalationTarget) {
    this.escalationTarget = escalationTarget;
  }

  public List<Decision> decide(MissionState state, Signal signal) {
    if (state.phase().isFinal()) {
      return List.of();
    }
    if (signal instanceof Signal.Submitted) {
      return start(state, "");
    }
    if (signal instanceof Signal.ApprovalGiven a) {
      return a.granted()
          ? start(state, " after approval (" + a.note() + ")")
          : List.of(new Decision.Fail("approval denied: " + a.note()));
    }
    if (signal instanceof Signal.Offered o) {
      return state.waitsFor(o.attempt())
          ? List.of(
              new Decision.Proceed(
                  o.participantId(),
                  o.attempt(),
                  o.participantId() + " covers the requirements and has room"))
          : List.of();
    }
    if (signal instanceof Signal.GivenUp g) {
      return state.waitsFor(g.attempt())
          ? List.of(escalate(state, Optional.empty(), g.why()))
          : List.of();
    }
    if (signal instanceof Signal.OfferRefused r) {
      // Not at once: the inbox may stay full, and its participant may be the only one capable; the
      // wait grows like the retry policy's with every attempt that never started.
      long withdrawn =
          state.attempts().stream().filter(a -> a.state() == Attempt.State.WITHDRAWN).count();
      return offerWithdrawn(
          state,
          r.attempt(),
          r.participantId(),
          "the inbox of " + r.participantId() + " refused the offer (" + r.reason() + ")",
          state.spec().retryPolicy().backoff((int) Math.max(1, withdrawn)));
    }
    if (signal instanceof Signal.OfferDeclined d) {
      return offerWithdrawn(
          state,
          d.attempt(),
          d.participantId(),
          d.participantId() + " declined the offer (" + d.reason() + ")");
    }
    if (signal instanceof Signal.OfferExpired e) {
      return offerExpired(state, e);
    }
    if (signal instanceof Signal.HeartbeatExpired h) {
      return stalled(
          state,
          h.attempt(),
          h.participantId(),
          "no heartbeat from "
              + h.participantId()
              + " for "
              + seconds(state.spec().timeouts().heartbeat()));
    }
    if (signal instanceof Signal.StartToCloseExpired c) {
      return stalled(
          state,
          c.attempt(),
          c.participantId(),
          "attempt "
              + c.attempt()
              + " ran longer than "
              + seconds(state.spec().timeouts().startToClose()));
    }
    if (signal instanceof Signal.UsageReported u) {
      return usageReported(state, u.attempt());
    }
    if (signal instanceof Signal.AttemptSucceeded s) {
      String by = state.attempt(s.attempt()).map(Attempt::participantId).orElse("?");
      return List.of(new Decision.Complete("attempt " + s.attempt() + " by " + by + " succeeded"));
    }
    if (signal instanceof Signal.AttemptFailed f) {
      return failed(state, state.attempt(f.attempt()).orElseThrow());
    }
    if (signal instanceof Signal.ChildReported c) {
      return join(state, c);
    }
    if (signal instanceof Signal.HandedOff h) {
      Attempt from = state.attempt(h.attempt()).orElseThrow();
      return List.of(
          waitFor(
              state,
              List.of(),
              from.participantId()
                  + " handed attempt "
                  + h.attempt()
                  + " on ("
                  + h.note()
                  + "); waiting for "
                  + state.requirements()));
    }
    if (signal instanceof Signal.EscalationResolved r) {
      return resolved(state, r);
    }
    if (signal instanceof Signal.BudgetDenied b) {
      return List.of(
          escalate(
              state,
              Optional.empty(),
              "budget "
                  + b.scope()
                  + " denied the reservation for attempt "
                  + b.attempt()
                  + " ("
                  + b.reason()
                  + "); raise the budget and resume"));
    }
    if (signal instanceof Signal.CancelRequested c) {
      return List.of(standDownAll(state, Optional.of(Phase.CANCELLED), "cancelled: " + c.reason()));
    }
    return List.of();
  }

  /**
   * A running attempt that reports more usage than the mission's estimate (what its budget reserved
   * for it) is stood down, and the mission escalates: the budget must not be overrun silently.
   */
  private List<Decision> usageReported(MissionState state, int number) {
    Optional<Attempt> attempt = state.activeAttempt().filter(a -> a.number() == number);
    Optional<MissionSpec.BudgetRef> budget = state.spec().budget();
    if (attempt.isEmpty()
        || budget.isEmpty()
        || !attempt.get().cost().exceeds(budget.get().estimate())) {
      return List.of();
    }
    String why =
        "attempt "
            + number
            + " used "
            + attempt.get().cost()
            + ", more than its reservation of "
            + budget.get().estimate()
            + " on budget "
            + budget.get().scope();
    return List.of(standDown(state, attempt.get(), why), escalate(state, Optional.empty(), why));
  }

  /** A mission begins: split into children, or wait in the backlog (no decision yet). */
  private List<Decision> start(MissionState state, String note) {
    Optional<MissionSpec.SplitPlan> split = state.spec().split();
    if (split.isEmpty()) {
      return List.of();
    }
    List<String> children =
        IntStream.range(0, split.get().children().size())
            .mapToObj(i -> childId(state.id(), i))
            .toList();
    return List.of(
        new Decision.Split(
            children,
            split.get().join().wire(),
            "the spec splits into "
                + children.size()
                + " children joined "
                + split.get().join().wire()
                + note));
  }

  /**
   * The id of child {@code index} of mission {@code parentId}: stable, so submitting is idempotent.
   */
  public static String childId(String parentId, int index) {
    return parentId + ".c" + (index + 1);
  }

  private List<Decision> offerWithdrawn(
      MissionState state, int attempt, String participant, String why) {
    return offerWithdrawn(state, attempt, participant, why, Duration.ZERO);
  }

  private List<Decision> offerWithdrawn(
      MissionState state, int attempt, String participant, String why, Duration backoff) {
    boolean current =
        state.currentAttempt().filter(a -> a.number() == attempt).isPresent()
            && state.phase() == Phase.OFFERED;
    if (!current) {
      return List.of();
    }
    return List.of(
        new Decision.Retry(
            state.nextAttemptNumber(),
            backoff.toMillis(),
            List.of(participant),
            why
                + "; back in the backlog"
                + (backoff.isZero() ? "" : " after " + seconds(backoff))));
  }

  private List<Decision> offerExpired(MissionState state, Signal.OfferExpired expired) {
    Optional<Attempt> attempt = state.activeAttempt().filter(a -> a.number() == expired.attempt());
    if (attempt.isEmpty() || attempt.get().state() != Attempt.State.OFFERED) {
      return List.of();
    }
    String why =
        expired.participantId()
            + " did not accept the offer within "
            + seconds(state.spec().timeouts().scheduleToStart());
    return List.of(
        standDown(state, attempt.get(), why),
        waitFor(state, List.of(expired.participantId()), why + "; back in the backlog"));
  }

  /** A running attempt went silent or overran: stand it down, then retry elsewhere or escalate. */
  private List<Decision> stalled(MissionState state, int number, String participant, String why) {
    Optional<Attempt> attempt =
        state
            .activeAttempt()
            .filter(a -> a.number() == number && a.state() == Attempt.State.RUNNING);
    if (attempt.isEmpty()) {
      return List.of();
    }
    List<Decision> decisions = new ArrayList<>();
    decisions.add(standDown(state, attempt.get(), why));
    int failures = state.failures() + 1;
    decisions.add(retryOrEscalate(state, failures, participant, why));
    return decisions;
  }

  private List<Decision> failed(MissionState state, Attempt attempt) {
    Attempt.Failure failure = attempt.failure().orElseThrow();
    String what =
        "attempt "
            + attempt.number()
            + " by "
            + attempt.participantId()
            + " failed: "
            + failure.reason();
    if (failure.cleanupStatus() == Attempt.CleanupStatus.NEEDS_RECOVERY) {
      return List.of(
          escalate(
              state,
              failure.recoveryAction(),
              what
                  + "; it needs recovery"
                  + failure.recoveryAction().map(a -> " (" + a + ")").orElse("")
                  + ", which waits for an operator's confirmation"));
    }
    if (!failure.retryable() || !state.spec().retryPolicy().retries(failure.errorKind())) {
      return List.of(
          escalate(
              state,
              Optional.empty(),
              what
                  + "; not retryable"
                  + failure.errorKind().map(k -> " (error kind " + k + ")").orElse("")));
    }
    String cleanup =
        failure.cleanupStatus() == Attempt.CleanupStatus.PARTIAL ? " (cleanup was partial)" : "";
    return List.of(
        retryOrEscalate(state, state.failures(), attempt.participantId(), what + cleanup));
  }

  private Decision retryOrEscalate(
      MissionState state, int failures, String participant, String why) {
    MissionSpec.RetryPolicy retry = state.spec().retryPolicy();
    if (failures >= retry.maxAttempts()) {
      return escalate(
          state,
          Optional.empty(),
          why
              + "; retries exhausted ("
              + failures
              + " of "
              + retry.maxAttempts()
              + " attempts failed)");
    }
    Duration backoff = retry.backoff(failures);
    return new Decision.Retry(
        state.nextAttemptNumber(),
        backoff.toMillis(),
        avoiding(state, participant),
        why
            + "; retry "
            + failures
            + " of "
            + (retry.maxAttempts() - 1)
            + " after "
            + backoff.toMillis()
            + " ms, preferring another participant");
  }

  /** Join the children's outcomes by the split's join mode. */
  private List<Decision> join(MissionState state, Signal.ChildReported reported) {
    if (state.children().isEmpty()
        || (state.phase() != Phase.SPLIT && state.phase() != Phase.ESCALATED)) {
      return List.of();
    }
    MissionSpec.JoinMode join = state.spec().split().orElseThrow().join();
    int total = state.children().size();
    int needed = join.needed(total);
    long succeeded = count(state, Phase.SUCCEEDED);
    long lost =
        state.children().stream()
            .filter(c -> c.outcome().filter(p -> p.isFinal() && p != Phase.SUCCEEDED).isPresent())
            .count();
    List<String> unfinished = state.unfinishedChildren();
    List<Decision> decisions = new ArrayList<>();
    if (succeeded >= needed) {
      if (!unfinished.isEmpty()) {
        decisions.add(
            new Decision.StandDown(
                List.of(),
                List.of(),
                unfinished,
                Optional.empty(),
                "join " + join.wire() + " is satisfied; the other children are no longer needed"));
      }
      decisions.add(
          new Decision.Complete(
              succeeded + " of " + total + " children succeeded (join " + join.wire() + ")"));
      return decisions;
    }
    if (state.phase() == Phase.ESCALATED) {
      return List.of();
    }
    if (total - lost < needed) {
      return List.of(
          escalate(
              state,
              Optional.empty(),
              "join "
                  + join.wire()
                  + " cannot be met: "
                  + lost
                  + " of "
                  + total
                  + " children ended without success (last: "
                  + reported.childId()
                  + " "
                  + reported.outcome().wire()
                  + ")"));
    }
    if (join.kind() == MissionSpec.JoinMode.Kind.ALL && reported.outcome() == Phase.ESCALATED) {
      return List.of(
          escalate(
              state,
              Optional.empty(),
              "child " + reported.childId() + " escalated and join all needs every child"));
    }
    return List.of();
  }

  private List<Decision> resolved(MissionState state, Signal.EscalationResolved r) {
    String by =
        "operator resolved " + r.escalationId() + " with " + r.action().wire() + note(r.note());
    return switch (r.action()) {
      case RETRY, RAISE_BUDGET, CONFIRM_RECOVERY ->
          List.of(
              new Decision.Retry(state.nextAttemptNumber(), 0, state.participantsThatFailed(), by));
      case REASSIGN ->
          List.of(
              waitFor(
                  state,
                  List.of(),
                  by + "; waiting for " + r.participant().orElseThrow() + " to have room"));
      case CANCEL -> List.of(standDownAll(state, Optional.of(Phase.CANCELLED), by));
      case ACCEPT_FAILURE -> {
        List<Decision> decisions = new ArrayList<>();
        Decision.StandDown rest = standDownAll(state, Optional.empty(), by);
        if (!rest.attempts().isEmpty() || !rest.children().isEmpty()) {
          decisions.add(rest);
        }
        decisions.add(new Decision.Fail(by));
        yield decisions;
      }
      case SETTLED -> List.of();
    };
  }

  private Decision.StandDown standDownAll(MissionState state, Optional<Phase> ends, String why) {
    List<Attempt> active = state.attempts().stream().filter(Attempt::active).toList();
    return new Decision.StandDown(
        active.stream().map(Attempt::number).toList(),
        active.stream().map(Attempt::participantId).distinct().toList(),
        state.unfinishedChildren(),
        ends,
        why);
  }

  private static Decision.StandDown standDown(MissionState state, Attempt attempt, String why) {
    return new Decision.StandDown(
        List.of(attempt.number()),
        List.of(attempt.participantId()),
        List.of(),
        Optional.empty(),
        why);
  }

  /** Back in the backlog at once (no backoff), preferring participants other than {@code avoid}. */
  private static Decision waitFor(MissionState state, List<String> avoid, String why) {
    return new Decision.Retry(state.nextAttemptNumber(), 0, avoid, why);
  }

  private Decision escalate(MissionState state, Optional<String> recoveryAction, String why) {
    return new Decision.Escalate(state.nextEscalationId(), escalationTarget, recoveryAction, why);
  }

  private static List<String> avoiding(MissionState state, String participant) {
    List<String> avoid = new ArrayList<>(state.participantsThatFailed());
    if (!avoid.contains(participant)) {
      avoid.add(participant);
    }
    return avoid;
  }

  private static long count(MissionState state, Phase outcome) {
    return state.children().stream().filter(c -> c.outcome().equals(Optional.of(outcome))).count();
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  private static String note(String note) {
    return note == null || note.isBlank() ? "" : " (" + note + ")";
  }
}
