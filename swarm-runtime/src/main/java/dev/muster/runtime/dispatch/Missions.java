package dev.muster.runtime.dispatch;

import java.util.concurrent.CompletionStage;

/**
 * How the dispatcher reaches the missions it queues (the coordinator's entities). Each call is
 * answered with the mission's status after it acted, and each is idempotent: the dispatcher calls
 * again when an answer did not come.
 */
public interface Missions {

  /**
   * Offers attempt {@code attempt} of the mission (of {@code workspace}) to {@code participantId}.
   */
  CompletionStage<WorkStatus> offer(
      String workspace, String missionId, int attempt, String participantId);

  /** The waiting mission cannot be started: {@code why} (nobody capable, waited too long). */
  CompletionStage<WorkStatus> giveUp(String workspace, String missionId, int attempt, String why);
}
