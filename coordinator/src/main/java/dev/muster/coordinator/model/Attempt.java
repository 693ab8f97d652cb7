package dev.muster.coordinator.model;

import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.muster.config.money.Amount;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * One try of a mission by one participant: when it was offered, accepted and last heard of, what it
 * cost, and how it ended. {@code result} is null until the worker reports success.
 */
public record Attempt(
    int number,
    String participantId,
    State state,
    Instant offeredAt,
    Optional<Instant> acceptedAt,
    Optional<Instant> lastHeartbeat,
    double progress,
    Amount cost,
    Optional<Instant> endedAt,
    JsonNode result,
    Optional<Failure> failure,
    Optional<String> endReason) {

  public enum State {
    /** In the participant's inbox, not yet acknowledged. */
    OFFERED,
    /** Acknowledged by the worker, which heartbeats while it works. */
    RUNNING,
    SUCCEEDED,
    FAILED,
    /** Ended by the coordinator (stalled, cancelled, a sibling won, the budget ran out). */
    STOOD_DOWN,
    /**
     * Never started: the inbox refused it or the worker declined it (an expired offer is
     * STOOD_DOWN).
     */
    WITHDRAWN,
    /** The worker handed it to another role or participant. */
    HANDED_OFF;

    @JsonValue
    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** How a worker says its attempt failed. */
  public record Failure(
      String reason,
      boolean retryable,
      Optional<String> errorKind,
      CleanupStatus cleanupStatus,
      Optional<String> recoveryAction) {}

  /** What a failed attempt left behind. */
  public enum CleanupStatus {
    CLEAN,
    PARTIAL,
    NEEDS_RECOVERY;

    @JsonValue
    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public static Attempt offered(int number, String participantId, Instant at) {
    return new Attempt(
        number,
        participantId,
        State.OFFERED,
        at,
        Optional.empty(),
        Optional.empty(),
        0,
        Amount.ZERO,
        Optional.empty(),
        NullNode.instance,
        Optional.empty(),
        Optional.empty());
  }

  public boolean active() {
    return state == State.OFFERED || state == State.RUNNING;
  }

  /** Whether this attempt counts against the retry policy: it started and did not succeed. */
  public boolean countsAsFailure() {
    return state == State.FAILED || (state == State.STOOD_DOWN && acceptedAt.isPresent());
  }

  /** When the worker was last heard of: its last heartbeat, or when it accepted. */
  public Optional<Instant> lastSeen() {
    return lastHeartbeat.isPresent() ? lastHeartbeat : acceptedAt;
  }

  public Attempt accepted(Instant at) {
    return with(State.RUNNING, Optional.of(at), lastHeartbeat, progress, cost, endedAt, result);
  }

  public Attempt heartbeat(Optional<Double> newProgress, Optional<Amount> newCost, Instant at) {
    return with(
        state == State.OFFERED ? State.RUNNING : state,
        acceptedAt.or(() -> Optional.of(at)),
        Optional.of(at),
        newProgress.orElse(progress),
        newCost.orElse(cost),
        endedAt,
        result);
  }

  public Attempt succeeded(JsonNode output, Optional<Amount> finalCost, Instant at) {
    return with(
        State.SUCCEEDED,
        acceptedAt.or(() -> Optional.of(at)),
        lastHeartbeat,
        1.0,
        finalCost.orElse(cost),
        Optional.of(at),
        output);
  }

  public Attempt failed(Failure why, Optional<Amount> finalCost, Instant at) {
    return new Attempt(
        number,
        participantId,
        State.FAILED,
        offeredAt,
        acceptedAt.or(() -> Optional.of(at)),
        lastHeartbeat,
        progress,
        finalCost.orElse(cost),
        Optional.of(at),
        result,
        Optional.of(why),
        Optional.of(why.reason()));
  }

  public Attempt ended(State end, String reason, Instant at) {
    return new Attempt(
        number,
        participantId,
        end,
        offeredAt,
        acceptedAt,
        lastHeartbeat,
        progress,
        cost,
        Optional.of(at),
        result,
        failure,
        Optional.of(reason));
  }

  private Attempt with(
      State s,
      Optional<Instant> accepted,
      Optional<Instant> heartbeat,
      double p,
      Amount c,
      Optional<Instant> ended,
      JsonNode r) {
    return new Attempt(
        number,
        participantId,
        s,
        offeredAt,
        accepted,
        heartbeat,
        p,
        c,
        ended,
        r,
        failure,
        endReason);
  }
}
