package dev.muster.registry.participant;

import dev.muster.config.CborSerializable;
import dev.muster.registry.NameSet;
import java.util.Optional;
import java.util.Set;

/**
 * A change of what a participant may do: each present field replaces the current value, an empty
 * one leaves it as it is (a budget scope or trust zone can be changed, not removed).
 */
public record Changes(
    Optional<Set<String>> roles,
    Optional<Set<String>> capabilities,
    Optional<Integer> maxConcurrentAttempts,
    Optional<Set<String>> grants,
    Optional<String> budgetScope,
    Optional<String> trustZone,
    Optional<EscalationPosture> escalation,
    Optional<CapabilityManifest> manifest)
    implements CborSerializable {
  public static final Changes NONE =
      new Changes(
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty());

  public Changes {
    roles = roles == null ? Optional.empty() : roles.map(NameSet::of);
    capabilities = capabilities == null ? Optional.empty() : capabilities.map(NameSet::of);
    maxConcurrentAttempts =
        maxConcurrentAttempts == null ? Optional.empty() : maxConcurrentAttempts;
    grants = grants == null ? Optional.empty() : grants.map(NameSet::of);
    budgetScope = budgetScope == null ? Optional.empty() : budgetScope;
    trustZone = trustZone == null ? Optional.empty() : trustZone;
    escalation = escalation == null ? Optional.empty() : escalation;
    manifest = manifest == null ? Optional.empty() : manifest;
  }

  public Changes withRoles(Set<String> value) {
    return new Changes(
        Optional.of(value),
        capabilities,
        maxConcurrentAttempts,
        grants,
        budgetScope,
        trustZone,
        escalation,
        manifest);
  }

  public Changes withCapabilities(Set<String> value) {
    return new Changes(
        roles,
        Optional.of(value),
        maxConcurrentAttempts,
        grants,
        budgetScope,
        trustZone,
        escalation,
        manifest);
  }

  public Changes withMaxConcurrentAttempts(int value) {
    return new Changes(
        roles,
        capabilities,
        Optional.of(value),
        grants,
        budgetScope,
        trustZone,
        escalation,
        manifest);
  }

  public Changes withGrants(Set<String> value) {
    return new Changes(
        roles,
        capabilities,
        maxConcurrentAttempts,
        Optional.of(value),
        budgetScope,
        trustZone,
        escalation,
        manifest);
  }

  public Changes withBudgetScope(Optional<String> value) {
    return new Changes(
        roles, capabilities, maxConcurrentAttempts, grants, value, trustZone, escalation, manifest);
  }

  public Changes withTrustZone(Optional<String> value) {
    return new Changes(
        roles,
        capabilities,
        maxConcurrentAttempts,
        grants,
        budgetScope,
        value,
        escalation,
        manifest);
  }

  public Changes withEscalation(EscalationPosture value) {
    return new Changes(
        roles,
        capabilities,
        maxConcurrentAttempts,
        grants,
        budgetScope,
        trustZone,
        Optional.of(value),
        manifest);
  }

  public Changes withManifest(CapabilityManifest value) {
    return new Changes(
        roles,
        capabilities,
        maxConcurrentAttempts,
        grants,
        budgetScope,
        trustZone,
        escalation,
        Optional.of(value));
  }

  public boolean isEmpty() {
    return equals(NONE);
  }

  Optional<String> problem() {
    if (roles.map(NameSet::hasBlank).orElse(false)
        || capabilities.map(NameSet::hasBlank).orElse(false)) {
      return Optional.of("roles and capabilities must not be blank");
    }
    if (grants.map(NameSet::hasBlank).orElse(false)) {
      return Optional.of("grants must not be blank");
    }
    if (maxConcurrentAttempts.map(value -> value < 1).orElse(false)) {
      return Optional.of("max_concurrent_attempts must be at least 1");
    }
    if (budgetScope.map(String::isBlank).orElse(false)
        || trustZone.map(String::isBlank).orElse(false)) {
      return Optional.of("budget_scope and trust_zone must not be blank when given");
    }
    return escalation
        .flatMap(EscalationPosture::problem)
        .or(() -> manifest.flatMap(CapabilityManifest::problem));
  }

  /** Only the fields that differ from {@code current}. */
  Changes relativeTo(Registration current) {
    return new Changes(
        roles.filter(value -> !value.equals(current.roles())),
        capabilities.filter(value -> !value.equals(current.capabilities())),
        maxConcurrentAttempts.filter(value -> value != current.maxConcurrentAttempts()),
        grants.filter(value -> !value.equals(current.grants())),
        budgetScope.filter(value -> !Optional.of(value).equals(current.budgetScope())),
        trustZone.filter(value -> !Optional.of(value).equals(current.trustZone())),
        escalation.filter(value -> !value.equals(current.escalation())),
        manifest.filter(value -> !value.equals(current.manifest())));
  }
}
