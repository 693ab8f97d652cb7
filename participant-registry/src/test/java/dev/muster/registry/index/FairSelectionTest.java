package dev.muster.registry.index;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.muster.registry.index.FairSelection.Candidate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class FairSelectionTest {

  static Stream<Arguments> choices() {
    Candidate a0 = new Candidate("a", 0, 2);
    Candidate b0 = new Candidate("b", 0, 2);
    Candidate c0 = new Candidate("c", 0, 2);
    Candidate a1 = new Candidate("a", 1, 2);
    Candidate bFull = new Candidate("b", 2, 2);
    Candidate c1 = new Candidate("c", 1, 3);
    return Stream.of(
        // candidates, last chosen, expected
        Arguments.of(List.of(), Optional.empty(), Optional.empty()),
        Arguments.of(List.of(a0, b0, c0), Optional.empty(), Optional.of("a")),
        Arguments.of(List.of(a0, b0, c0), Optional.of("a"), Optional.of("b")),
        Arguments.of(List.of(a0, b0, c0), Optional.of("b"), Optional.of("c")),
        Arguments.of(List.of(a0, b0, c0), Optional.of("c"), Optional.of("a")),
        Arguments.of(List.of(c0, a0, b0), Optional.of("a"), Optional.of("b")),
        Arguments.of(List.of(a0, b0, c0), Optional.of("gone"), Optional.of("a")),
        Arguments.of(List.of(a1, b0), Optional.of("b"), Optional.of("b")),
        Arguments.of(List.of(a1, bFull, c1), Optional.of("a"), Optional.of("c")),
        Arguments.of(List.of(a1, bFull, c1), Optional.of("c"), Optional.of("a")),
        Arguments.of(List.of(bFull), Optional.empty(), Optional.empty()),
        Arguments.of(List.of(new Candidate("x", 5, 3)), Optional.empty(), Optional.empty()));
  }

  /** The choice among {@code candidates} (in any order) given the one chosen last. */
  private static Optional<String> choose(List<Candidate> candidates, Optional<String> last) {
    Map<String, Candidate> byId = new HashMap<>();
    candidates.forEach(c -> byId.put(c.id(), c));
    return FairSelection.chooseInTurn(
        FairSelection.inTurn(new TreeSet<>(byId.keySet()), last).map(byId::get));
  }

  @ParameterizedTest
  @MethodSource("choices")
  void choosesTheLeastLoadedAndRotatesAmongEquals(
      List<Candidate> candidates, Optional<String> last, Optional<String> expected) {
    assertEquals(expected, choose(candidates, last));
  }

  @Test
  void rotationVisitsEveryEqualCandidateInTurn() {
    List<Candidate> three =
        List.of(new Candidate("p1", 0, 1), new Candidate("p2", 0, 1), new Candidate("p3", 0, 1));
    Optional<String> last = Optional.empty();
    StringBuilder order = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      last = choose(three, last);
      order.append(last.orElseThrow()).append(' ');
    }
    assertEquals("p1 p2 p3 p1 p2 p3 ", order.toString());
  }
}
