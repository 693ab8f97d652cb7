package dev.muster.registry.index;

import java.util.List;
import java.util.Optional;

/**
 * Picks one participant among capable candidates: only those with free capacity, the least
 * in-flight first, and round-robin among equals (the first id after the one chosen last, in id
 * order, wrapping around). Pure; the index keeps the last choice per workspace.
 */
public final class FairSelection {
  private FairSelection() {}

  /** A capable participant and how much work it has in flight against how much it may take. */
  public record Candidate(String id, int inFlight, int capacity) {
    boolean hasRoom() {
      return inFlight < capacity;
    }
  }

  /**
   * One pass, no sorting: the index calls this for every dispatch with every capable participant of
   * the workspace (100,000 in the scale benchmark), under its lock.
   */
  public static Optional<String> choose(List<Candidate> candidates, Optional<String> lastChosen) {
    String last = lastChosen.orElse(null);
    int least = Integer.MAX_VALUE;
    String smallest = null; // the smallest id among the least loaded
    String nextAfterLast = null; // the smallest id after the last choice among the least loaded
    for (Candidate c : candidates) {
      if (!c.hasRoom() || c.inFlight() > least) {
        continue;
      }
      if (c.inFlight() < least) {
        least = c.inFlight();
        smallest = null;
        nextAfterLast = null;
      }
      String id = c.id();
      if (smallest == null || id.compareTo(smallest) < 0) {
        smallest = id;
      }
      if (last != null
          && id.compareTo(last) > 0
          && (nextAfterLast == null || id.compareTo(nextAfterLast) < 0)) {
        nextAfterLast = id;
      }
    }
    return Optional.ofNullable(nextAfterLast != null ? nextAfterLast : smallest);
  }
}
