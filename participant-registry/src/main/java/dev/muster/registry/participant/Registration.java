package dev.muster.registry.participant;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.muster.config.CborSerializable;
import dev.muster.registry.NameSet;
import java.util.Optional;
import java.util.Set;

/**
 * What a participant declares when it joins. Fields added after the first release ({@code grants}
 * onwards) are optional in stored events: a missing one reads as empty.
 */
public record Registration(
    String workspace,
    Kind kind,
    Set<String> roles,
    Set<String> capabilities,
    int maxConcurrentAttempts,
    Set<String> grants,
    Optional<String> budgetScope,
    Optional<String> trustZone,
    EscalationPosture escalation,
    CapabilityManifest manifest)
    implements CborSerializable {
  @JsonCreator
  public Registration {
    roles = NameSet.of(roles);
    capabilities = NameSet.of(capabilities);
    grants = NameSet.of(grants);
    budgetScope = budgetScope == null ? Optional.empty() : budgetScope;
    trustZone = trustZone == null ? Optional.empty() : trustZone;
    escalation = escalation == null ? EscalationPosture.NONE : escalation;
    manifest = manifest == null ? CapabilityManifest.NONE : manifest;
  }

  /** A registration with no grants, boundaries beyond capacity, escalation or manifest. */
  public Registration(
      String workspace,
      Kind kind,
      Set<String> roles,
      Set<String> capabilities,
      int maxConcurrentAttempts) {
    this(
        workspace,
        kind,
        roles,
        capabilities,
        maxConcurrentAttempts,
        Set.of(),
        Optional.empty(),
        Optional.empty(),
        EscalationPosture.NONE,
        CapabilityManifest.NONE);
  }

  Optional<String> problem() {
    if (workspace == null || workspace.isBlank()) {
      return Optional.of("workspace is required");
    }
    if (kind == null) {
      return Optional.of("kind is required");
    }
    return Changes.NONE
        .withRoles(roles)
        .withCapabilities(capabilities)
        .withMaxConcurrentAttempts(maxConcurrentAttempts)
        .withGrants(grants)
        .withBudgetScope(budgetScope)
        .withTrustZone(trustZone)
        .withEscalation(escalation)
        .withManifest(manifest)
        .problem();
  }

  Registration with(Changes changes) {
    return new Registration(
        workspace,
        kind,
        changes.roles().orElse(roles),
        changes.capabilities().orElse(capabilities),
        changes.maxConcurrentAttempts().orElse(maxConcurrentAttempts),
        changes.grants().orElse(grants),
        changes.budgetScope().or(() -> budgetScope),
        changes.trustZone().or(() -> trustZone),
        changes.escalation().orElse(escalation),
        changes.manifest().orElse(manifest));
  }
}
