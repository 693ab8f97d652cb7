package dev.muster.registry.index;

import java.util.Comparator;
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

  public static Optional<String> choose(List<Candidate> candidates, Optional<String> lastChosen) {
    int least =
        candidates.stream()
            .filter(Candidate::hasRoom)
            .mapToInt(Candidate::inFlight)
            .min()
            .orElse(Integer.MAX_VALUE);
    List<String> equals =
        candidates.stream()
            .filter(c -> c.hasRoom() && c.inFlight() == least)
            .map(Candidate::id)
            .sorted(Comparator.naturalOrder())
            .toList();
    if (equals.isEmpty()) {
      return Optional.empty();
    }
    return equals.stream()
        .filter(id -> lastChosen.map(last -> id.compareTo(last) > 0).orElse(true))
        .findFirst()
        .or(() -> Optional.of(equals.get(0)));
  }
}
