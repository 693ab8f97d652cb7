package dev.muster.coordinator.mission;

import dev.muster.config.money.Amount;
import dev.muster.runtime.budget.Budget;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A test double of {@link MissionBudgets} for Mission's entity tests: grants or denies as the test
 * says and records every reservation and commit. The real Budget entity has its own tests, and the
 * end-to-end tests run missions against it.
 */
final class RecordingBudgets implements MissionBudgets {
  volatile boolean deny;
  final List<String> reserved = new CopyOnWriteArrayList<>();
  final List<String> committed = new CopyOnWriteArrayList<>();

  @Override
  public CompletionStage<Budget.ReserveResult> reserve(
      String scope, String key, Amount amount, String missionId, String workspace) {
    reserved.add(scope + ":" + key + "=" + amount);
    return CompletableFuture.completedFuture(
        deny
            ? new Budget.Denied(key, "limit reached", Amount.ZERO)
            : new Budget.Granted(key, amount, Amount.ZERO, false));
  }

  @Override
  public CompletionStage<Budget.CommitResult> commit(String scope, String key, Amount used) {
    committed.add(scope + ":" + key + "=" + used);
    return CompletableFuture.completedFuture(
        new Budget.CommitResult(key, "m", used, used, Amount.ZERO, Amount.ZERO, false, false));
  }
}
