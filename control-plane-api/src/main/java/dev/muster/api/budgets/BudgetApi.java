package dev.muster.api.budgets;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.muster.api.http.ApiException;
import dev.muster.runtime.budget.Amount;
import dev.muster.runtime.budget.Budget;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The budget API's request and response bodies (snake_case on the wire). Amounts are decimal
 * numbers with at most six fraction digits (exact: the budget counts micro-units).
 */
final class BudgetApi {
  private BudgetApi() {}

  private static final Pattern SCOPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}");

  /** A scope id from the path, checked: {@code ws-1}, {@code mission:m-1}, ... */
  static String scope(String text) {
    if (!SCOPE.matcher(text).matches()) {
      throw ApiException.invalid(
          "a budget scope is 1 to 200 letters, digits and . _ : @ - (starting with a letter or"
              + " digit), got '"
              + text
              + "'");
    }
    return text;
  }

  record SetLimitRequest(@JsonProperty(required = true) BigDecimal limit) {
    Amount amount() {
      if (limit == null) {
        throw ApiException.invalid("missing required field 'limit'");
      }
      try {
        return Amount.of(limit);
      } catch (IllegalArgumentException e) {
        throw ApiException.invalid("limit: " + e.getMessage());
      }
    }
  }

  record BudgetResponse(
      String scope,
      BigDecimal limit,
      BigDecimal reserved,
      BigDecimal committed,
      BigDecimal overage,
      BigDecimal remaining,
      List<LedgerLine> ledger) {

    static BudgetResponse of(Budget.Summary summary) {
      return new BudgetResponse(
          summary.scope(),
          summary.limit().toDecimal(),
          summary.reserved().toDecimal(),
          summary.committed().toDecimal(),
          summary.overage().toDecimal(),
          summary.remaining().toDecimal(),
          summary.ledger().stream().map(LedgerLine::of).toList());
    }
  }

  /** One ledger entry; {@code key} and {@code mission_id} are absent on a limit change. */
  record LedgerLine(
      long seq,
      String kind,
      String key,
      String missionId,
      BigDecimal amount,
      BigDecimal overage,
      Instant at) {

    static LedgerLine of(Budget.LedgerEntry entry) {
      return new LedgerLine(
          entry.seq(),
          entry.kind().name().toLowerCase(Locale.ROOT),
          entry.key().isEmpty() ? null : entry.key(),
          entry.missionId().isEmpty() ? null : entry.missionId(),
          entry.amount().toDecimal(),
          entry.overage().isZero() ? null : entry.overage().toDecimal(),
          entry.at());
    }
  }
}
