package dev.muster.runtime.dispatch;

import dev.muster.config.CborSerializable;
import dev.muster.registry.NameSet;
import dev.muster.registry.index.IndexedParticipant;
import java.util.Optional;
import java.util.Set;

/**
 * Who may take a piece of work: participants with these capabilities and roles, or the one named
 * {@code participant} (after a reassignment, or a handoff to a participant). Missions waiting with
 * equal requirements share one queue of the backlog.
 */
public record Requirements(
    Set<String> capabilities, Set<String> roles, Optional<String> participant)
    implements CborSerializable {
  public Requirements {
    capabilities = NameSet.of(capabilities);
    roles = NameSet.of(roles);
    participant = participant == null ? Optional.empty() : participant;
  }

  /**
   * Whether {@code p} meets these requirements (whatever its status and load): the named
   * participant, whatever its capabilities and roles (the capabilities a handoff or reassignment
   * kept are not asked of it), or any participant with the capabilities and roles.
   */
  public boolean coveredBy(IndexedParticipant p) {
    return participant.isPresent()
        ? participant.get().equals(p.id())
        : p.capabilities().containsAll(capabilities) && p.roles().containsAll(roles);
  }

  @Override
  public String toString() {
    return participant
        .map(p -> "participant " + p)
        .orElseGet(
            () -> "capabilities " + capabilities + (roles.isEmpty() ? "" : " roles " + roles));
  }
}
