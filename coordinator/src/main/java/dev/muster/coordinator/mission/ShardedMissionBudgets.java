package dev.muster.coordinator.mission;

import dev.muster.config.money.Amount;
import dev.muster.runtime.budget.Budget;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** The sharded Budget entities, wherever they live in the cluster. */
public final class ShardedMissionBudgets implements MissionBudgets {
  private final ClusterSharding sharding;
  private final Duration timeout;

  public ShardedMissionBudgets(ActorSystem<?> system, Duration timeout) {
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
  }

  @Override
  public CompletionStage<Budget.ReserveResult> reserve(
      String scope, String key, Amount amount, String missionId, String workspace) {
    return sharding
        .entityRefFor(Budget.ENTITY_TYPE_KEY, scope)
        .askWithStatus(
            replyTo -> new Budget.Reserve(key, amount, missionId, workspace, replyTo), timeout);
  }

  @Override
  public CompletionStage<Budget.CommitResult> commit(String scope, String key, Amount used) {
    return sharding
        .entityRefFor(Budget.ENTITY_TYPE_KEY, scope)
        .askWithStatus(replyTo -> new Budget.Commit(key, used, replyTo), timeout);
  }
}
