package dev.muster.runtime.dispatch;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.muster.config.CborSerializable;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where a mission stands towards the participants of its workspace, as the mission itself (or the
 * read side of its journal) says: waiting for one, holding one (an attempt offered to or run by
 * it), or neither. It is a pure function of the mission's journaled state, and {@code version} is
 * the sequence number of the mission's last event it reflects: of two statuses of one mission, the
 * one with the higher version is the truth, whatever order they arrive in.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "status")
@JsonSubTypes({
  @JsonSubTypes.Type(value = WorkStatus.Waiting.class, name = "waiting"),
  @JsonSubTypes.Type(value = WorkStatus.Holding.class, name = "holding"),
  @JsonSubTypes.Type(value = WorkStatus.Idle.class, name = "idle")
})
public sealed interface WorkStatus extends CborSerializable {
  String missionId();

  String workspace();

  long version();

  /**
   * The mission waits for a participant to take attempt {@code attempt}, not before {@code
   * notBefore} (a retry's backoff). Queued by {@code priority} (higher first), then {@code
   * submittedAt}, then id. It escalates when nobody capable exists {@code scheduleToStart} after
   * {@code waitingSince}, or (when set) after {@code maxQueueTime} of waiting although capable
   * participants exist. A retry prefers participants other than {@code avoid}.
   */
  record Waiting(
      String missionId,
      String workspace,
      long version,
      int attempt,
      Requirements requirements,
      int priority,
      Instant submittedAt,
      Optional<Instant> notBefore,
      Instant waitingSince,
      Duration scheduleToStart,
      Optional<Duration> maxQueueTime,
      List<String> avoid)
      implements WorkStatus {
    public Waiting {
      notBefore = notBefore == null ? Optional.empty() : notBefore;
      maxQueueTime = maxQueueTime == null ? Optional.empty() : maxQueueTime;
      avoid = avoid == null ? List.of() : List.copyOf(avoid);
    }
  }

  /** Attempt {@code attempt} is offered to or run by {@code participantId}: it uses its room. */
  record Holding(
      String missionId, String workspace, long version, int attempt, String participantId)
      implements WorkStatus {}

  /** Neither waiting nor holding (finished, escalated, split, awaiting approval). */
  record Idle(String missionId, String workspace, long version) implements WorkStatus {}
}
