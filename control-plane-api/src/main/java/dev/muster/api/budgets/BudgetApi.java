package dev.muster.api.budgets;

import dev.muster.api.http.ApiException;
import dev.muster.api.http.Fields;
import dev.muster.config.money.Amount;
import dev.muster.runtime.budget.Budget;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The budget API's request and response bodies (snake_case on the wire). Amounts are exact decimals
 * ({@link Amount}: from 0 to 999999999999.999999, at most six fraction digits).
 */
final class BudgetApi {
  private BudgetApi() {}

  /** A scope id from the path, checked: {@code ws-1}, {@code mission:m-1}, ... */
  static String scope(String text) {
    return Fields.budgetScope("the budget scope", text);
  }

  /**
   * {@code workspace}: whose budget it is (an operator names it; a confined caller's is its own);
   * without one, a budget of no workspace that only operators see and every workspace may draw on.
   */
  record SetLimitRequest(Amount limit, String workspace) {
    Amount amount() {
      if (limit == null) {
        throw ApiException.invalid("missing required field 'limit'");
      }
      return limit;
    }

    Optional<String> owner() {
      return Optional.ofNullable(workspace).map(w -> Fields.name("workspace", w));
    }
  }

  record BudgetResponse(
      String scope,
      Optional<String> workspace,
      Amount limit,
      Amount reserved,
      Amount committed,
      Amount overage,
      Amount remaining,
      List<LedgerLine> ledger) {

    static BudgetResponse of(Budget.Summary summary) {
      return new BudgetResponse(
          summary.scope(),
          summary.workspace(),
          summary.limit(),
          summary.reserved(),
          summary.committed(),
          summary.overage(),
          summary.remaining(),
          summary.ledger().stream().map(LedgerLine::of).toList());
    }
  }

  /**
   * One ledger entry; {@code key} and {@code mission_id} are absent on a limit change, {@code by}
   * (who set the limit) on the others.
   */
  record LedgerLine(
      long seq,
      String kind,
      String key,
      String missionId,
      Amount amount,
      Amount overage,
      Instant at,
      Optional<String> by) {

    static LedgerLine of(Budget.LedgerEntry entry) {
      return new LedgerLine(
          entry.seq(),
          entry.kind().name().toLowerCase(Locale.ROOT),
          entry.key().isEmpty() ? null : entry.key(),
          entry.missionId().isEmpty() ? null : entry.missionId(),
          entry.amount(),
          entry.overage().isZero() ? null : entry.overage(),
          entry.at(),
          entry.by());
    }
  }
}
