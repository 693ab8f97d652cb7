package dev.muster.coordinator.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.NullNode;
import dev.muster.coordinator.model.Decision;
import dev.muster.coordinator.model.MissionSpec;
import dev.muster.coordinator.model.MissionSpec.RetryPolicy;
import dev.muster.coordinator.model.MissionSpec.Timeouts;
import dev.muster.coordinator.model.MissionState;
import dev.muster.coordinator.policy.Deadlines.Deadline;
import dev.muster.coordinator.policy.Deadlines.Kind;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Deadlines come from the state alone, so a recovered mission re-arms exactly the same ones. */
class DeadlinesTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
  private static final MissionState SUBMITTED =
      MissionState.submitted(
          "m",
          new MissionSpec(
              "ws",
              "t",
              Optional.empty(),
              Set.of(),
              Set.of(),
              NullNode.instance,
              new RetryPolicy(3, 100, 2, 1000, Set.of()),
              new Timeouts(60_000, 600_000, 30_000),
              Optional.empty(),
              Optional.empty(),
              false,
              Optional.empty(),
              0),
          T);

  private static Instant at(long seconds) {
    return T.plusSeconds(seconds);
  }

  static Stream<Arguments> cases() {
    MissionState offered = SUBMITTED.decided(new Decision.Proceed("p", 1, "r"), T);
    MissionState running = offered.accepted(1, at(5));
    MissionState retrying =
        running
            .failed(
                1,
                new dev.muster.coordinator.model.Attempt.Failure(
                    "x",
                    true,
                    Optional.empty(),
                    dev.muster.coordinator.model.Attempt.CleanupStatus.CLEAN,
                    Optional.empty()),
                Optional.empty(),
                at(10))
            .decided(new Decision.Retry(2, 2000, List.of("p"), "r"), at(10));
    return Stream.of(
        Arguments.of(
            "offered: the offer expires after schedule-to-start",
            offered,
            Optional.empty(),
            T,
            Optional.of(new Deadline(Kind.OFFER_EXPIRES, at(60), 1))),
        Arguments.of(
            "running: the heartbeat lease from acceptance",
            running,
            Optional.empty(),
            at(5),
            Optional.of(new Deadline(Kind.HEARTBEAT_EXPIRES, at(35), 1))),
        Arguments.of(
            "running: a later heartbeat moves the lease",
            running,
            Optional.of(at(20)),
            at(20),
            Optional.of(new Deadline(Kind.HEARTBEAT_EXPIRES, at(50), 1))),
        Arguments.of(
            "running: start-to-close when it comes before the heartbeat lease",
            running,
            Optional.of(at(600_000 / 1000 - 10)),
            at(5),
            Optional.of(new Deadline(Kind.START_TO_CLOSE_EXPIRES, at(605), 1))),
        Arguments.of(
            "retrying: nothing of its own (the backlog times the backoff)",
            retrying,
            Optional.empty(),
            at(10),
            Optional.empty()),
        Arguments.of(
            "queued: nothing of its own (the backlog times schedule-to-start)",
            SUBMITTED.queued(at(1)),
            Optional.empty(),
            at(1),
            Optional.empty()),
        Arguments.of(
            "finished: nothing",
            running
                .succeeded(1, NullNode.instance, Optional.empty(), at(6))
                .decided(new Decision.Complete("r"), at(6)),
            Optional.empty(),
            at(6),
            Optional.empty()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void deadline(
      String name,
      MissionState state,
      Optional<Instant> seen,
      Instant now,
      Optional<Deadline> expected) {
    assertEquals(expected, Deadlines.next(state, seen));
  }
}
