package dev.muster.coordinator.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.muster.config.CborSerializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Everything known about a submitted mission. Immutable: each method returns the state after one
 * fact, and refuses (with {@link IllegalStateException}) a fact the transition table forbids.
 */
public record MissionState(
    String id,
    MissionSpec spec,
    Phase phase,
    List<Attempt> attempts,
    List<DecisionRecord> decisions,
    Instant submittedAt,
    Instant updatedAt)
    implements CborSerializable {

  /** A decision as it stands in the log. */
  public record DecisionRecord(Decision decision, Instant at) {}

  public MissionState {
    attempts = List.copyOf(attempts);
    decisions = List.copyOf(decisions);
  }

  public static MissionState submitted(String id, MissionSpec spec, Instant at) {
    return new MissionState(id, spec, Phase.PENDING, List.of(), List.of(), at, at);
  }

  public Optional<Attempt> currentAttempt() {
    return attempts.isEmpty() ? Optional.empty() : Optional.of(attempts.get(attempts.size() - 1));
  }

  public Optional<Attempt> attempt(int number) {
    return attempts.stream().filter(a -> a.number() == number).findFirst();
  }

  /** The number the next attempt gets. */
  public int nextAttemptNumber() {
    return attempts.size() + 1;
  }

  public MissionState decided(Decision decision, Instant at) {
    List<DecisionRecord> log = new ArrayList<>(decisions);
    log.add(new DecisionRecord(decision, at));
    if (decision instanceof Decision.Proceed p) {
      return withAttempts(supersedeActive(at, Attempt.offered(p.attempt(), p.participantId(), at)))
          .moveTo(Phase.OFFERED, log, at);
    }
    if (decision instanceof Decision.Retry) {
      return withAttempts(supersedeActive(at, null)).moveTo(Phase.RETRYING, log, at);
    }
    return moveTo(Phase.SUCCEEDED, log, at);
  }

  /** No participant could take the mission yet: it waits in the queue. */
  public MissionState queued(Instant at) {
    return moveTo(Phase.QUEUED, decisions, at);
  }

  public MissionState accepted(int attempt, Instant at) {
    return replaceAttempt(attempt, attemptOrThrow(attempt).accepted(at))
        .moveTo(Phase.RUNNING, decisions, at);
  }

  public MissionState succeeded(int attempt, JsonNode result, Instant at) {
    return replaceAttempt(attempt, attemptOrThrow(attempt).succeeded(result, at));
  }

  private Attempt attemptOrThrow(int number) {
    return attempt(number)
        .orElseThrow(
            () -> new IllegalStateException("mission " + id + " has no attempt " + number));
  }

  private List<Attempt> supersedeActive(Instant at, Attempt added) {
    List<Attempt> next = new ArrayList<>();
    for (Attempt a : attempts) {
      next.add(a.active() ? a.superseded(at) : a);
    }
    if (added != null) {
      next.add(added);
    }
    return next;
  }

  private MissionState replaceAttempt(int number, Attempt replacement) {
    List<Attempt> next = new ArrayList<>();
    for (Attempt a : attempts) {
      next.add(a.number() == number ? replacement : a);
    }
    return withAttempts(next);
  }

  private MissionState withAttempts(List<Attempt> next) {
    return new MissionState(id, spec, phase, next, decisions, submittedAt, updatedAt);
  }

  private MissionState moveTo(Phase next, List<DecisionRecord> log, Instant at) {
    if (!phase.canMoveTo(next)) {
      throw new IllegalStateException(
          "mission " + id + " cannot move from " + phase.wire() + " to " + next.wire());
    }
    return new MissionState(id, spec, next, attempts, log, submittedAt, at);
  }
}
