package dev.muster.coordinator.mission;

import dev.muster.runtime.budget.Amount;
import dev.muster.runtime.budget.Budget;
import java.math.BigDecimal;
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
      String scope, String key, double amount, String missionId) {
    return sharding
        .entityRefFor(Budget.ENTITY_TYPE_KEY, scope)
        .askWithStatus(
            replyTo -> new Budget.Reserve(key, amount(amount), missionId, replyTo), timeout);
  }

  @Override
  public CompletionStage<Budget.CommitResult> commit(String scope, String key, double used) {
    return sharding
        .entityRefFor(Budget.ENTITY_TYPE_KEY, scope)
        .askWithStatus(replyTo -> new Budget.Commit(key, amount(used), replyTo), timeout);
  }

  private static Amount amount(double value) {
    return Amount.of(BigDecimal.valueOf(value));
  }
}
