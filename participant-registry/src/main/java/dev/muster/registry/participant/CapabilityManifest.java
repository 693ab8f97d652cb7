package dev.muster.registry.participant;

import dev.muster.config.CborSerializable;
import dev.muster.registry.NameSet;
import java.util.Optional;
import java.util.Set;

/**
 * What a participant's runtime declares about itself. A capability written {@code
 * name:approval_required} (e.g. {@code shell:approval_required}) is one whose use needs a person's
 * approval.
 */
public record CapabilityManifest(
    Optional<String> executionMode, Optional<String> trustZone, Set<String> capabilities)
    implements CborSerializable {
  public static final String APPROVAL_REQUIRED = ":approval_required";
  public static final CapabilityManifest NONE =
      new CapabilityManifest(Optional.empty(), Optional.empty(), Set.of());

  public CapabilityManifest {
    executionMode = executionMode == null ? Optional.empty() : executionMode;
    trustZone = trustZone == null ? Optional.empty() : trustZone;
    capabilities = NameSet.of(capabilities);
  }

  /** The capability names, without the approval marker. */
  public Set<String> names() {
    return NameSet.of(capabilities.stream().map(CapabilityManifest::name).toList());
  }

  /** The capabilities marked {@code :approval_required}, by name. */
  public Set<String> approvalRequired() {
    return NameSet.of(
        capabilities.stream()
            .filter(c -> c.endsWith(APPROVAL_REQUIRED))
            .map(CapabilityManifest::name)
            .toList());
  }

  private static String name(String capability) {
    return capability.endsWith(APPROVAL_REQUIRED)
        ? capability.substring(0, capability.length() - APPROVAL_REQUIRED.length())
        : capability;
  }

  Optional<String> problem() {
    if (capabilities.stream().anyMatch(c -> name(c).isBlank())) {
      return Optional.of("capability_manifest.capabilities must not be blank");
    }
    if (executionMode.map(String::isBlank).orElse(false)
        || trustZone.map(String::isBlank).orElse(false)) {
      return Optional.of(
          "capability_manifest.execution_mode and trust_zone must not be blank when given");
    }
    return Optional.empty();
  }
}
