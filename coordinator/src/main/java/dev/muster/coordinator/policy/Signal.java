package dev.muster.coordinator.policy;

import java.util.Optional;

/** Something that happened to a mission and may call for a decision. */
public sealed interface Signal {

  /**
   * The mission was submitted; {@code candidate} is who the capability index offered, if anyone.
   */
  record Submitted(Optional<String> candidate) implements Signal {}

  /** While the mission waited, the capability index found a participant for it. */
  record CandidateFound(String participantId) implements Signal {}

  /** A participant's inbox refused the offer (full, or the participant stands down). */
  record OfferRefused(
      int attempt, String participantId, String reason, Optional<String> alternative)
      implements Signal {}

  /** The worker of {@code attempt} reported success. */
  record AttemptSucceeded(int attempt) implements Signal {}
}
