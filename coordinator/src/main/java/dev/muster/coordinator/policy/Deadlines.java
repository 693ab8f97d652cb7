package dev.muster.coordinator.policy;

import dev.muster.coordinator.model.Attempt;
import dev.muster.coordinator.model.MissionSpec.Timeouts;
import dev.muster.coordinator.model.MissionState;
import java.time.Instant;
import java.util.Optional;

/**
 * The next moment a mission with an attempt out must act by itself, derived from its state alone,
 * so timers survive restarts and node moves: after recovery the entity asks again and re-arms. A
 * waiting mission has no deadline of its own: the backlog times its backoff, schedule-to-start and
 * maximum queue time.
 */
public final class Deadlines {
  private Deadlines() {}

  /** What happens when the deadline passes. */
  public enum Kind {
    /** An offered attempt was not accepted within schedule-to-start. */
    OFFER_EXPIRES,
    /** A running attempt's worker stopped heartbeating. */
    HEARTBEAT_EXPIRES,
    /** A running attempt ran longer than start-to-close. */
    START_TO_CLOSE_EXPIRES
  }

  public record Deadline(Kind kind, Instant at, int attempt) {}

  /**
   * The earliest deadline of {@code state}; {@code lastSeen} is when the current attempt's worker
   * was last heard of, which may be later than what the state recorded.
   */
  public static Optional<Deadline> next(MissionState state, Optional<Instant> lastSeen) {
    Timeouts t = state.spec().timeouts();
    switch (state.phase()) {
      case OFFERED -> {
        Attempt a = state.currentAttempt().orElseThrow();
        return Optional.of(
            new Deadline(Kind.OFFER_EXPIRES, a.offeredAt().plus(t.scheduleToStart()), a.number()));
      }
      case RUNNING -> {
        Attempt a = state.currentAttempt().orElseThrow();
        Instant accepted = a.acceptedAt().orElse(a.offeredAt());
        Instant seen = latest(a.lastSeen().orElse(accepted), lastSeen);
        Deadline heartbeat =
            new Deadline(Kind.HEARTBEAT_EXPIRES, seen.plus(t.heartbeat()), a.number());
        Deadline close =
            new Deadline(Kind.START_TO_CLOSE_EXPIRES, accepted.plus(t.startToClose()), a.number());
        return Optional.of(close.at().isBefore(heartbeat.at()) ? close : heartbeat);
      }
      default -> {
        return Optional.empty();
      }
    }
  }

  private static Instant latest(Instant recorded, Optional<Instant> seen) {
    return seen.filter(s -> s.isAfter(recorded)).orElse(recorded);
  }
}
