package dev.muster.coordinator.policy;

import dev.muster.coordinator.model.Escalation;
import dev.muster.coordinator.model.Phase;
import java.util.Optional;

/**
 * Something that happened to a mission and may call for a decision. Where a signal reports a fact
 * (a failure, a child's outcome, a handoff, an operator's answer), the policy is given the state
 * with that fact already applied. {@code candidate} / {@code alternative}: whom the capability
 * index offers for the next attempt, if anyone.
 */
public sealed interface Signal {

  record Submitted(Optional<String> candidate) implements Signal {}

  record ApprovalGiven(boolean granted, String note, Optional<String> candidate)
      implements Signal {}

  /** While the mission waited, the capability index found a participant for it. */
  record CandidateFound(String participantId) implements Signal {}

  /** Nobody took the waiting mission within schedule-to-start. */
  record WaitExpired() implements Signal {}

  /** The participant's inbox refused the offer (full, or the participant stands down). */
  record OfferRefused(
      int attempt, String participantId, String reason, Optional<String> alternative)
      implements Signal {}

  /** The worker declined the offer. */
  record OfferDeclined(
      int attempt, String participantId, String reason, Optional<String> alternative)
      implements Signal {}

  /** The offer was not accepted within schedule-to-start. */
  record OfferExpired(int attempt, String participantId, Optional<String> alternative)
      implements Signal {}

  /** The worker of a running attempt stopped heartbeating. */
  record HeartbeatExpired(int attempt, String participantId) implements Signal {}

  /** A running attempt ran longer than start-to-close. */
  record StartToCloseExpired(int attempt, String participantId) implements Signal {}

  record AttemptSucceeded(int attempt) implements Signal {}

  /** The attempt's failure (reason, retryable, cleanup status) is in the state. */
  record AttemptFailed(int attempt) implements Signal {}

  /** A child of a split reached {@code outcome} (final, or escalated). */
  record ChildReported(String childId, Phase outcome) implements Signal {}

  /** The worker of {@code attempt} handed it on; the state has the new requirements. */
  record HandedOff(int attempt, String note, Optional<String> candidate) implements Signal {}

  /** An operator resolved an escalation with {@code action}. */
  record EscalationResolved(
      String escalationId, Escalation.Action action, String note, Optional<String> participant)
      implements Signal {}

  /** The budget refused to reserve the estimate of {@code attempt} (already withdrawn). */
  record BudgetDenied(int attempt, String scope, String reason) implements Signal {}

  /** A running attempt reported using more than its reservation. */
  record BudgetExceeded(int attempt, String scope, double used, double reserved)
      implements Signal {}

  /** An operator cancelled the mission: its whole subtree stands down. */
  record CancelRequested(String reason) implements Signal {}
}
