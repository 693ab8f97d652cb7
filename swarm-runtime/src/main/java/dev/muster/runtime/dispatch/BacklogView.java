package dev.muster.runtime.dispatch;

import dev.muster.config.CborSerializable;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What the backlog of a workspace holds, for people: how many missions wait (and how many of them
 * are still in a retry's backoff), how many attempts participants hold, each queue's depth and its
 * oldest waiting mission, a page of the waiting missions in dispatch order with their position in
 * their queue, and each busy participant's load.
 */
public record BacklogView(
    String workspace,
    int waiting,
    int inBackoff,
    int holding,
    List<Queue> queues,
    List<WaitingMission> missions,
    List<Load> participants)
    implements CborSerializable {

  public BacklogView {
    queues = List.copyOf(queues);
    missions = List.copyOf(missions);
    participants = List.copyOf(participants);
  }

  /** One queue: the missions waiting with the same requirements. */
  public record Queue(Requirements requirements, int depth, Instant oldestWaitingSince)
      implements CborSerializable {}

  /** A waiting mission; {@code position} is 1 for the head of its queue. */
  public record WaitingMission(
      String missionId,
      int attempt,
      Requirements requirements,
      int priority,
      Instant submittedAt,
      Instant waitingSince,
      Optional<Instant> notBefore,
      int position)
      implements CborSerializable {
    public Place place() {
      return new Place(priority, submittedAt, missionId);
    }
  }

  /**
   * A place in dispatch order (priority, higher first; then submission; then mission id): a page of
   * waiting missions starts after one, so a mission dispatched between two pages does not end the
   * paging.
   */
  public record Place(int priority, Instant submittedAt, String missionId)
      implements CborSerializable {}

  /** How many attempts a participant holds, of how many it may. */
  public record Load(String participantId, int holding, int maxConcurrentAttempts)
      implements CborSerializable {}
}
