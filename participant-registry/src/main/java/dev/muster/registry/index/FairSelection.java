package dev.muster.registry.index;

import java.util.NavigableSet;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Picks one participant among capable candidates: only those with free capacity, the least
 * in-flight first, and round-robin among equals (the first id after the one chosen last, in id
 * order, wrapping around). Pure; the backlog keeps the last choice of its workspace.
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
   * Turn order: the ids in order from the first id after {@code lastChosen}, wrapping around to the
   * start (from the start when nothing was chosen yet).
   */
  public static Stream<String> inTurn(NavigableSet<String> ids, Optional<String> lastChosen) {
    if (lastChosen.isEmpty()) {
      return ids.stream();
    }
    return Stream.concat(
        ids.tailSet(lastChosen.get(), false).stream(),
        ids.headSet(lastChosen.get(), true).stream());
  }

  /**
   * The choice in one pass over the candidates in turn order ({@link #inTurn}): the first of the
   * least loaded, stopping at the first idle one since nobody has less than nothing in flight. The
   * backlog streams the participants with room in that order, so a dispatch usually looks at a few,
   * not at every participant of the workspace.
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
