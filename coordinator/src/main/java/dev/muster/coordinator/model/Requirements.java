package dev.muster.coordinator.model;

import java.util.Optional;
import java.util.Set;

/**
 * Who may take the mission's next attempt: participants with these capabilities and roles, or one
 * named participant (after a reassignment or a handoff to a participant).
 */
public record Requirements(
    Set<String> capabilities, Set<String> roles, Optional<String> participant) {
  public Requirements {
    capabilities = Set.copyOf(capabilities);
    roles = Set.copyOf(roles);
  }
}
