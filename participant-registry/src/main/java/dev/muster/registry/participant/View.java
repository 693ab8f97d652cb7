package dev.muster.registry.participant;

import dev.muster.config.CborSerializable;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/** What GET shows; {@code status} reads offline once the liveness window has passed. */
public record View(
    String id,
    String workspace,
    Kind kind,
    Status status,
    Set<String> roles,
    Set<String> capabilities,
    int maxConcurrentAttempts,
    Instant registeredAt,
    Optional<Instant> lastHeartbeat,
    Set<String> grants,
    Optional<String> budgetScope,
    Optional<String> trustZone,
    EscalationPosture escalation,
    CapabilityManifest manifest,
    Optional<String> standDownReason)
    implements CborSerializable {
  public View {
    lastHeartbeat = lastHeartbeat == null ? Optional.empty() : lastHeartbeat;
    budgetScope = budgetScope == null ? Optional.empty() : budgetScope;
    trustZone = trustZone == null ? Optional.empty() : trustZone;
    standDownReason = standDownReason == null ? Optional.empty() : standDownReason;
  }

  /** The capabilities whose use needs approval (marked so in the manifest). */
  public Set<String> approvalRequired() {
    return manifest.approvalRequired();
  }
}
