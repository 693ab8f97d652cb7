package dev.muster.registry.index;

import java.util.List;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.TreeMap;
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
    NavigableMap<String, Candidate> byId = new TreeMap<>();
    candidates.forEach(c -> byId.put(c.id(), c));
    return chooseInTurn(inTurn(byId, lastChosen));
  }

  /**
   * Turn order: the values in id order from the first id after {@code lastChosen}, wrapping around
   * to the start (from the start when nothing was chosen yet).
   */
  public static <T> Stream<T> inTurn(NavigableMap<String, T> byId, Optional<String> lastChosen) {
    return inTurn(byId.navigableKeySet(), lastChosen).map(byId::get);
  }

  /** Turn order over ids alone. */
  public static Stream<String> inTurn(NavigableSet<String> ids, Optional<String> lastChosen) {
    if (lastChosen.isEmpty()) {
      return ids.stream();
    }
    return Stream.concat(
        ids.tailSet(lastChosen.get(), false).stream(),
        ids.headSet(lastChosen.get(), true).stream());
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
