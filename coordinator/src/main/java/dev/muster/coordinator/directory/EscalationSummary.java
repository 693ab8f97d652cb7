package dev.muster.coordinator.directory;

import dev.muster.coordinator.model.Escalation;
import java.time.Instant;
import java.util.Optional;

/** An escalation as the operators' queue shows it. */
public record EscalationSummary(
    String id,
    String missionId,
    String workspace,
    String reason,
    String target,
    Optional<String> recoveryAction,
    Instant openedAt,
    Optional<Escalation.Action> resolvedWith,
    Optional<Instant> resolvedAt) {

  public boolean open() {
    return resolvedWith.isEmpty();
  }

  EscalationSummary resolved(Escalation.Action action, Instant at) {
    return new EscalationSummary(
        id,
        missionId,
        workspace,
        reason,
        target,
        recoveryAction,
        openedAt,
        Optional.of(action),
        Optional.of(at));
  }
}
