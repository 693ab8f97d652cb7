package dev.muster.registry.index;

import dev.muster.registry.participant.Participant.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * What the capability index knows of one participant, folded from its events. {@code lastSeen} is
 * its last recorded heartbeat (or registration); {@code sequenceNr} the last event folded in.
 */
public record IndexedParticipant(
    String id,
    String workspace,
    Status status,
    Set<String> roles,
    Set<String> capabilities,
    int maxConcurrentAttempts,
    Instant lastSeen,
    long sequenceNr) {

  /** Active, heard of within the liveness window, and covering what is required. */
  public boolean matches(
      Set<String> requiredCapabilities,
      Set<String> requiredRoles,
      Instant now,
      Duration livenessWindow) {
    return status == Status.ACTIVE
        && now.isBefore(lastSeen.plus(livenessWindow))
        && capabilities.containsAll(requiredCapabilities)
        && roles.containsAll(requiredRoles);
  }
}
