package dev.muster.coordinator.directory;

import dev.muster.coordinator.model.MissionSpec;
import dev.muster.coordinator.model.Phase;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * What a list of missions shows of one mission; {@code version} is the sequence number of the last
 * event folded.
 */
public record MissionSummary(
    String id,
    String workspace,
    String title,
    Phase state,
    Optional<String> parentId,
    Set<String> participants,
    Optional<MissionSpec.SpecRef> spec,
    int priority,
    Instant submittedAt,
    Instant updatedAt,
    long version) {
  public MissionSummary {
    participants = Set.copyOf(participants);
  }

  MissionSummary with(Phase next, Set<String> nextParticipants, Instant at, long seq) {
    return new MissionSummary(
        id,
        workspace,
        title,
        next,
        parentId,
        nextParticipants,
        spec,
        priority,
        submittedAt,
        at,
        seq);
  }
}
