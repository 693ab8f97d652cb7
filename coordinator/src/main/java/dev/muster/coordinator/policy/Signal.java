package dev.muster.coordinator.policy;

import dev.muster.coordinator.model.Escalation;
import dev.muster.coordinator.model.Phase;
import java.util.Optional;

/**
 * Something that happened to a mission and may call for a decision. Where a signal reports a fact
 * (a failure, a usage report, a child's outcome, a handoff, an operator's answer), the policy is
 * given the state with that fact already applied.
 */
public sealed interface Signal {

  record Submitted() implements Signal {}

  record ApprovalGiven(boolean granted, String note) implements Signal {}

  /** The backlog offers the waiting mission's attempt {@code attempt} to a participant. */
  record Offered(int attempt, String participantId) implements Signal {}

  /** The backlog gives the waiting mission up: nobody capable exists, or it waited too long. */
  record GivenUp(int attempt, String why) implements Signal {}

  /** The participant's inbox refused the offer (full, or the participant stands down). */
  record OfferRefused(int attempt, String participantId, String reason) implements Signal {}

  /** The worker declined the offer. */
  record OfferDeclined(int attempt, String participantId, String reason) implements Signal {}

  /** The offer was not accepted within schedule-to-start. */
  record OfferExpired(int attempt, String participantId) implements Signal {}

  /** The worker of a running attempt stopped heartbeating. */
  record HeartbeatExpired(int attempt, String participantId) implements Signal {}

  /** A running attempt ran longer than start-to-close. */
  record StartToCloseExpired(int attempt, String participantId) implements Signal {}

  /** The worker reported progress or usage; the state has its usage so far. */
  record UsageReported(int attempt) implements Signal {}

  record AttemptSucceeded(int attempt) implements Signal {}

  /** The attempt's failure (reason, retryable, cleanup status) is in the state. */
  record AttemptFailed(int attempt) implements Signal {}

  /** A child of a split reached {@code outcome} (final, or escalated). */
  record ChildReported(String childId, Phase outcome) implements Signal {}

  /** The worker of {@code attempt} handed it on; the state has the new requirements. */
  record HandedOff(int attempt, String note) implements Signal {}

  /** An operator resolved an escalation with {@code action}; the state has what it changed. */
  record EscalationResolved(
      String escalationId, Escalation.Action action, String note, Optional<String> participant)
      implements Signal {}

  /** The budget refused to reserve the estimate of {@code attempt} (already withdrawn). */
  record BudgetDenied(int attempt, String scope, String reason) implements Signal {}

  /** An operator cancelled the mission: its whole subtree stands down. */
  record CancelRequested(String reason) implements Signal {}
}
