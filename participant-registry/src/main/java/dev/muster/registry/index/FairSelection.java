package dev.muster.registry.index;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

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

  /** The choice among {@code candidates} given the one chosen last (in any order). */
  public static Optional<String> choose(List<Candidate> candidates, Optional<String> lastChosen) {
    List<Candidate> byId = candidates.stream().sorted(Comparator.comparing(Candidate::id)).toList();
    int start =
        lastChosen
            .map(
                last -> {
                  int i = 0;
                  while (i < byId.size() && byId.get(i).id().compareTo(last) <= 0) {
                    i++;
                  }
                  return i;
                })
            .orElse(0);
    Stream<Candidate> inTurn =
        Stream.concat(byId.subList(start, byId.size()).stream(), byId.subList(0, start).stream());
    return chooseInTurn(inTurn);
  }

  /**
   * The same choice in one pass over the candidates in turn order (id order from the first id after
   * the last choice, wrapping around): the first of the least loaded, stopping at the first idle
   * one since nobody has less than nothing in flight. The index streams its participants in that
   * order, so a dispatch usually looks at a few, not at every participant of the workspace.
   */
  public static Optional<String> chooseInTurn(Stream<Candidate> inTurn) {
    Candidate best = null;
    for (Candidate c : (Iterable<Candidate>) inTurn::iterator) {
      if (!c.hasRoom()) {
        continue;
      }
      if (c.inFlight() == 0) {
        return Optional.of(c.id());
      }
      if (best == null || c.inFlight() < best.inFlight()) {
        best = c;
      }
    }
    return Optional.ofNullable(best).map(Candidate::id);
  }
}
