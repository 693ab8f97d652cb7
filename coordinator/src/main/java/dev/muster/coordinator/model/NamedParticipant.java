package dev.muster.coordinator.model;

import dev.muster.config.CborSerializable;
import dev.muster.config.Rejection;
import java.util.Optional;

/**
 * A participant a request names as the one to take the work next (a handoff's target, a
 * reassignment's), with the workspace the node's participant index has it registered in (empty: the
 * index does not know it). The mission refuses a participant that is not registered in its own
 * workspace: it could never be offered the work.
 */
public record NamedParticipant(String id, Optional<String> registeredIn)
    implements CborSerializable {
  public NamedParticipant {
    registeredIn = registeredIn == null ? Optional.empty() : registeredIn;
  }

  /** Why this participant cannot take work of {@code workspace}, if it cannot. */
  public Optional<Rejection> refusalFor(String workspace) {
    return registeredIn.filter(workspace::equals).isPresent()
        ? Optional.empty()
        : Optional.of(
            Rejection.invalid(
                "participant " + id + " is not registered in workspace " + workspace));
  }
}
