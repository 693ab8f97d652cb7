package dev.muster.runtime.dispatch;

import java.util.Set;

/** What a participant must offer to be given a piece of work. */
public record Requirements(String workspace, Set<String> capabilities, Set<String> roles) {
  public Requirements {
    capabilities = Set.copyOf(capabilities);
    roles = Set.copyOf(roles);
  }
}
