package dev.muster.coordinator.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;

/** What was asked: the work, where it belongs and who may do it. Immutable once submitted. */
public record MissionSpec(
    String workspace,
    String title,
    Set<String> requiredCapabilities,
    Set<String> requiredRoles,
    JsonNode input) {
  public MissionSpec {
    requiredCapabilities = Set.copyOf(requiredCapabilities);
    requiredRoles = Set.copyOf(requiredRoles);
  }
}
