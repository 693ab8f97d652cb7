package dev.muster.coordinator.mission;

import dev.muster.runtime.dispatch.Missions;
import dev.muster.runtime.dispatch.WorkStatus;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** The missions as the dispatchers reach them: the sharded Mission entities. */
public final class ShardedMissions implements Missions {
  private final ClusterSharding sharding;
  private final Duration timeout;

  public ShardedMissions(ClusterSharding sharding, Duration timeout) {
    this.sharding = sharding;
    this.timeout = timeout;
  }

  @Override
  public CompletionStage<WorkStatus> offer(
      String workspace, String missionId, int attempt, String participantId) {
    return sharding
        .entityRefFor(Mission.ENTITY_TYPE_KEY, missionId)
        .askWithStatus(
            replyTo -> new Mission.Offer(workspace, attempt, participantId, replyTo), timeout);
  }

  @Override
  public CompletionStage<WorkStatus> giveUp(
      String workspace, String missionId, int attempt, String why) {
    return sharding
        .entityRefFor(Mission.ENTITY_TYPE_KEY, missionId)
        .askWithStatus(replyTo -> new Mission.GiveUp(workspace, attempt, why, replyTo), timeout);
  }
}
