package dev.muster.registry.inbox;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.NullNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LeasesTest {
  private static final Instant T0 = Instant.parse("2026-11-21T12:00:00Z");
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final List<Inbox.Message> PENDING =
      List.of(message("a", 1), message("b", 2), message("c", 3), message("d", 4));

  private static Inbox.Message message(String id, long seq) {
    return new Inbox.Message(
        id, seq, Inbox.MessageType.TASK_OFFER, "m-1", 1, NullNode.getInstance(), T0);
  }

  static Stream<Arguments> deliverable() {
    Leases aAndC = Leases.none().grant(List.of("a", "c"), T0, LEASE);
    return Stream.of(
        // leases, afterSeq, ignoreLeases, now, max, expected ids
        Arguments.of(Leases.none(), 0L, false, T0, 10, List.of("a", "b", "c", "d")),
        Arguments.of(Leases.none(), 0L, false, T0, 2, List.of("a", "b")),
        Arguments.of(aAndC, 0L, false, T0, 10, List.of("b", "d")),
        Arguments.of(aAndC, 0L, false, T0.plusSeconds(29), 10, List.of("b", "d")),
        Arguments.of(aAndC, 0L, false, T0.plus(LEASE), 10, List.of("a", "b", "c", "d")),
        Arguments.of(aAndC, 0L, false, T0.plusSeconds(31), 1, List.of("a")),
        Arguments.of(aAndC, 2L, false, T0, 10, List.of("d")),
        Arguments.of(aAndC, 2L, true, T0, 10, List.of("c", "d")),
        Arguments.of(aAndC, 0L, true, T0, 3, List.of("a", "b", "c")),
        Arguments.of(aAndC.release("a"), 0L, false, T0, 10, List.of("a", "b", "d")),
        Arguments.of(aAndC, 4L, true, T0, 10, List.of()));
  }

  @ParameterizedTest
  @MethodSource
  void deliverable(
      Leases leases, long afterSeq, boolean ignoreLeases, Instant now, int max, List<String> ids) {
    assertEquals(
        ids,
        leases.deliverable(PENDING, afterSeq, ignoreLeases, now, max).stream()
            .map(Inbox.Message::messageId)
            .toList());
  }

  static Stream<Arguments> nextExpiry() {
    Leases staggered =
        Leases.none().grant(List.of("a"), T0, LEASE).grant(List.of("b"), T0.plusSeconds(10), LEASE);
    return Stream.of(
        Arguments.of(Leases.none(), Set.of("a", "b"), T0, Optional.empty()),
        Arguments.of(staggered, Set.of("a", "b"), T0.plusSeconds(10), Optional.of(T0.plus(LEASE))),
        Arguments.of(staggered, Set.of("b"), T0.plusSeconds(10), Optional.of(T0.plusSeconds(40))),
        Arguments.of(
            staggered, Set.of("a", "b"), T0.plusSeconds(30), Optional.of(T0.plusSeconds(40))),
        Arguments.of(staggered, Set.of("a", "b"), T0.plusSeconds(40), Optional.empty()),
        Arguments.of(staggered, Set.of(), T0, Optional.empty()));
  }

  @ParameterizedTest
  @MethodSource
  void nextExpiry(Leases leases, Set<String> pending, Instant now, Optional<Instant> expected) {
    assertEquals(expected, leases.nextExpiry(pending, now));
  }

  @ParameterizedTest
  @MethodSource("grants")
  void grantRenewsAndForgetsExpiredLeases(Leases leases, Instant now, Map<String, Instant> after) {
    assertEquals(after, leases.grant(List.of("b"), now, LEASE).until());
  }

  static Stream<Arguments> grants() {
    Leases a = Leases.none().grant(List.of("a"), T0, LEASE);
    return Stream.of(
        Arguments.of(Leases.none(), T0, Map.of("b", T0.plus(LEASE))),
        Arguments.of(a, T0.plusSeconds(1), Map.of("a", T0.plus(LEASE), "b", T0.plusSeconds(31))),
        Arguments.of(a, T0.plus(LEASE), Map.of("b", T0.plusSeconds(60))));
  }
}
