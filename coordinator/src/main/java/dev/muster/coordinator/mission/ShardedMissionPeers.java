package dev.muster.coordinator.mission;

import dev.muster.config.Caller;
import dev.muster.coordinator.model.MissionSpec;
import dev.muster.coordinator.model.MissionState;
import dev.muster.coordinator.model.Phase;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** The missions of a tree reached through sharding, wherever they live in the cluster. */
public final class ShardedMissionPeers implements MissionPeers {
  private final ClusterSharding sharding;
  private final Duration timeout;

  public ShardedMissionPeers(ActorSystem<?> system, Duration timeout) {
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
  }

  @Override
  public CompletionStage<MissionState> submit(String missionId, MissionSpec spec) {
    return sharding
        .entityRefFor(Mission.ENTITY_TYPE_KEY, missionId)
        .askWithStatus(replyTo -> new Mission.Submit(spec, Caller.SYSTEM, replyTo), timeout);
  }

  @Override
  public CompletionStage<MissionState> report(String parentId, String childId, Phase outcome) {
    return sharding
        .entityRefFor(Mission.ENTITY_TYPE_KEY, parentId)
        .askWithStatus(replyTo -> new Mission.ReportChild(childId, outcome, replyTo), timeout);
  }

  @Override
  public CompletionStage<MissionState> cancel(String missionId, String reason) {
    return sharding
        .entityRefFor(Mission.ENTITY_TYPE_KEY, missionId)
        .askWithStatus(replyTo -> new Mission.Cancel(reason, Caller.SYSTEM, replyTo), timeout);
  }
}
