package dev.muster.coordinator.mission;

import dev.muster.coordinator.model.MissionSpec;
import dev.muster.coordinator.model.MissionState;
import dev.muster.coordinator.model.Phase;
import java.util.concurrent.CompletionStage;

/**
 * How a mission talks to the missions of its tree: submits its children, reports its outcome to its
 * parent, cancels a child. Every call is idempotent, so a mission simply calls again after a
 * failure or a restart. An interface so Mission can be tested alone; the node runs {@link
 * ShardedMissionPeers}.
 */
public interface MissionPeers {

  /** Submits (or finds, when already submitted) mission {@code missionId}. */
  CompletionStage<MissionState> submit(String missionId, MissionSpec spec);

  /** Tells the parent that child {@code childId} reached {@code outcome}. */
  CompletionStage<MissionState> report(String parentId, String childId, Phase outcome);

  /** Cancels mission {@code missionId} and its subtree. */
  CompletionStage<MissionState> cancel(String missionId, String reason);
}
