package dev.muster.coordinator.mission;

import dev.muster.config.money.Amount;
import dev.muster.runtime.budget.Budget;
import java.util.concurrent.CompletionStage;

/**
 * How a mission pays for its attempts: it reserves its estimate on its budget's scope before an
 * offer goes out (key: the offer's message id), and commits what the attempt reported it used when
 * the attempt ends. Both are idempotent by key, so a mission simply calls again after a failure or
 * a restart. An interface so Mission can be tested alone; the node runs {@link
 * ShardedMissionBudgets}.
 */
public interface MissionBudgets {

  CompletionStage<Budget.ReserveResult> reserve(
      String scope, String key, Amount amount, String missionId, String workspace);

  CompletionStage<Budget.CommitResult> commit(String scope, String key, Amount used);
}
