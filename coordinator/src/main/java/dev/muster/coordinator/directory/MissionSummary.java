package dev.muster.coordinator.directory;

import dev.muster.coordinator.model.MissionSpec;
import dev.muster.coordinator.model.Phase;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/** What a list of missions shows of one mission. */
public record MissionSummary(
    String id,
    String workspace,
    String title,
    Phase state,
    Optional<String> parentId,
    Set<String> participants,
    Optional<MissionSpec.SpecRef> spec,
    Instant submittedAt,
    Instant updatedAt) {
  public MissionSummary {
    participants = Set.copyOf(participants);
  }
}
