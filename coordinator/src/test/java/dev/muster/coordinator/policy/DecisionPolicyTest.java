package dev.muster.coordinator.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.NullNode;
import dev.muster.coordinator.model.Decision;
import dev.muster.coordinator.model.MissionSpec;
import dev.muster.coordinator.model.MissionState;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** One row per rule of the decision policy: a mission's state, a signal, the expected decision. */
class DecisionPolicyTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final DecisionPolicy POLICY = new DecisionPolicy(Duration.ofMillis(250));

  private static final MissionState SUBMITTED =
      MissionState.submitted(
          "m-1", new MissionSpec("ws-1", "t", Set.of("code"), Set.of(), NullNode.instance), T0);

  private static MissionState given(UnaryOperator<MissionState> steps) {
    return steps.apply(SUBMITTED);
  }

  private static MissionState offeredTo(String participant) {
    return SUBMITTED.decided(new Decision.Proceed(participant, 1, "r"), T0);
  }

  static Stream<Arguments> rules() {
    return Stream.of(
        Arguments.of(
            "submitted, a participant covers it -> proceed with attempt 1",
            SUBMITTED,
            new Signal.Submitted(Optional.of("p-1")),
            Optional.of(
                new Decision.Proceed(
                    "p-1", 1, "p-1 covers the required capabilities and has room"))),
        Arguments.of(
            "submitted, nobody covers it -> nothing yet (the mission waits in the queue)",
            SUBMITTED,
            new Signal.Submitted(Optional.empty()),
            Optional.empty()),
        Arguments.of(
            "waiting, a participant became available -> proceed",
            given(s -> s.queued(T0)),
            new Signal.CandidateFound("p-2"),
            Optional.of(
                new Decision.Proceed(
                    "p-2", 1, "p-2 became available while it waited and has room"))),
        Arguments.of(
            "offer refused, another participant has room -> proceed with the next attempt there",
            offeredTo("p-1"),
            new Signal.OfferRefused(1, "p-1", "inbox full", Optional.of("p-2")),
            Optional.of(
                new Decision.Proceed(
                    "p-2", 2, "the inbox of p-1 refused the offer (inbox full); p-2 can take it"))),
        Arguments.of(
            "offer refused, nobody else has room -> retry after the wait",
            offeredTo("p-1"),
            new Signal.OfferRefused(1, "p-1", "inbox full", Optional.empty()),
            Optional.of(
                new Decision.Retry(
                    2,
                    250,
                    "the inbox of p-1 refused the offer (inbox full); no other participant has"
                        + " room, looking again later"))),
        Arguments.of(
            "a refusal of an attempt that is no longer current -> nothing",
            offeredTo("p-1").decided(new Decision.Proceed("p-2", 2, "r"), T0),
            new Signal.OfferRefused(1, "p-1", "inbox full", Optional.of("p-3")),
            Optional.empty()),
        Arguments.of(
            "attempt succeeded -> complete",
            offeredTo("p-1"),
            new Signal.AttemptSucceeded(1),
            Optional.of(new Decision.Complete(1, "attempt 1 by p-1 succeeded"))),
        Arguments.of(
            "a finished mission decides nothing more",
            offeredTo("p-1").decided(new Decision.Complete(1, "r"), T0),
            new Signal.CandidateFound("p-2"),
            Optional.empty()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rules")
  void rule(String rule, MissionState state, Signal signal, Optional<Decision> expected) {
    assertEquals(expected, POLICY.decide(state, signal));
  }
}
