package dev.muster.coordinator.policy;

import dev.muster.coordinator.model.Attempt;
import dev.muster.coordinator.model.Decision;
import dev.muster.coordinator.model.MissionState;
import java.time.Duration;
import java.util.Optional;

/**
 * The coordinator's brain: from a mission's state and a signal to a decision with its reason. Pure
 * and deterministic (no clock, no I/O, no actors): whatever it needs to know arrives in the state
 * or the signal, so a decision can be replayed and table-tested. Empty means "nothing to decide".
 */
public final class DecisionPolicy {
  private final Duration waitForParticipant;

  /** {@code waitForParticipant}: how long to wait before looking again when nobody can take it. */
  public DecisionPolicy(Duration waitForParticipant) {
    this.waitForParticipant = waitForParticipant;
  }

  public Optional<Decision> decide(MissionState state, Signal signal) {
    if (state.phase().isFinal()) {
      return Optional.empty();
    }
    if (signal instanceof Signal.Submitted s) {
      return s.candidate().map(p -> proceed(state, p, "covers the required capabilities"));
    }
    if (signal instanceof Signal.CandidateFound f) {
      return Optional.of(proceed(state, f.participantId(), "became available while it waited"));
    }
    if (signal instanceof Signal.OfferRefused r) {
      return offerRefused(state, r);
    }
    if (signal instanceof Signal.AttemptSucceeded s) {
      return Optional.of(
          new Decision.Complete(
              s.attempt(),
              "attempt "
                  + s.attempt()
                  + " by "
                  + state.attempt(s.attempt()).map(Attempt::participantId).orElse("?")
                  + " succeeded"));
    }
    return Optional.empty();
  }

  private Optional<Decision> offerRefused(MissionState state, Signal.OfferRefused refused) {
    boolean current =
        state
            .currentAttempt()
            .filter(a -> a.number() == refused.attempt() && a.active())
            .isPresent();
    if (!current) {
      return Optional.empty();
    }
    String why =
        "the inbox of " + refused.participantId() + " refused the offer (" + refused.reason() + ")";
    return Optional.of(
        refused
            .alternative()
            .<Decision>map(
                other ->
                    new Decision.Proceed(
                        other, state.nextAttemptNumber(), why + "; " + other + " can take it"))
            .orElseGet(
                () ->
                    new Decision.Retry(
                        state.nextAttemptNumber(),
                        waitForParticipant.toMillis(),
                        why + "; no other participant has room, looking again later")));
  }

  private static Decision proceed(MissionState state, String participantId, String why) {
    return new Decision.Proceed(
        participantId, state.nextAttemptNumber(), participantId + " " + why + " and has room");
  }
}
