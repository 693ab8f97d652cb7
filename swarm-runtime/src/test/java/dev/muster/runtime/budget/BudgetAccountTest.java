package dev.muster.runtime.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.config.money.Amount;
import dev.muster.runtime.budget.BudgetAccount.Settlement;
import java.math.BigDecimal;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class BudgetAccountTest {
  private static final int REMEMBER = 100;

  private static Amount u(String units) {
    return Amount.parse(new BigDecimal(units));
  }

  /** limit, reservation, actual -> charged, overage, remaining after the commit. */
  static Stream<Arguments> commits() {
    return Stream.of(
        Arguments.of("100", "10", "10", "10", "0", "90"),
        Arguments.of("100", "10", "4", "4", "0", "96"),
        Arguments.of("100", "10", "0", "0", "0", "100"),
        Arguments.of("100", "10", "30", "30", "0", "70"),
        Arguments.of("100", "10", "100", "100", "0", "0"),
        Arguments.of("100", "10", "130", "100", "30", "0"),
        Arguments.of("10", "10", "10.000001", "10", "0.000001", "0"),
        Arguments.of("0.5", "0.25", "0.125", "0.125", "0", "0.375"));
  }

  @ParameterizedTest(name = "limit {0}, reserved {1}, actual {2} -> charged {3}, overage {4}")
  @MethodSource("commits")
  void aCommitChargesWhatFitsAndRecordsTheRestAsOverage(
      String limit,
      String reservation,
      String actual,
      String charged,
      String overage,
      String remaining) {
    BudgetAccount account = BudgetAccount.withLimit(u(limit)).reserve("k", u(reservation), "m-1");
    Settlement outcome = account.commitOutcome("k", u(actual));
    assertEquals(u(charged), outcome.charged());
    assertEquals(u(overage), outcome.overage());
    assertEquals(u(reservation), outcome.reserved());
    BudgetAccount after = account.settle("k", outcome, REMEMBER);
    assertEquals(u(remaining), after.remaining());
    assertEquals(Amount.ZERO, after.reserved());
    assertTrue(after.consistent());
  }

  /** limit, already reserved, asked -> fits. */
  static Stream<Arguments> reservations() {
    return Stream.of(
        Arguments.of("100", "0", "100", true),
        Arguments.of("100", "0", "100.000001", false),
        Arguments.of("100", "60", "40", true),
        Arguments.of("100", "60", "41", false),
        Arguments.of("0", "0", "0.000001", false));
  }

  @ParameterizedTest(name = "limit {0}, reserved {1}, ask {2} -> fits {3}")
  @MethodSource("reservations")
  void aReservationFitsOnlyInTheRemainder(
      String limit, String reserved, String asked, boolean fits) {
    BudgetAccount account = BudgetAccount.withLimit(u(limit));
    if (!u(reserved).isZero()) {
      account = account.reserve("first", u(reserved), "m-0");
    }
    assertEquals(fits, account.fits(u(asked)));
  }

  /** committed, reserved, new limit -> refused. */
  static Stream<Arguments> limits() {
    return Stream.of(
        Arguments.of("30", "20", "50", false),
        Arguments.of("30", "20", "49.999999", true),
        Arguments.of("30", "20", "1000", false),
        Arguments.of("0", "0", "0", false));
  }

  @ParameterizedTest(name = "committed {0}, reserved {1}, new limit {2} -> refused {3}")
  @MethodSource("limits")
  void theLimitCannotGoBelowWhatIsUsed(
      String committed, String reserved, String newLimit, boolean refused) {
    BudgetAccount account = BudgetAccount.withLimit(u("100"));
    if (!u(committed).isZero()) {
      account = account.reserve("c", u(committed), "m");
      account = account.settle("c", account.commitOutcome("c", u(committed)), REMEMBER);
    }
    if (!u(reserved).isZero()) {
      account = account.reserve("r", u(reserved), "m");
    }
    assertEquals(refused, account.refuseLimit(u(newLimit)).isPresent());
  }

  @Test
  void aReleaseReturnsTheReservation() {
    BudgetAccount account = BudgetAccount.withLimit(u("10")).reserve("k", u("4"), "m-1");
    Settlement released = account.releaseOutcome("k");
    assertEquals(u("4"), released.reserved());
    BudgetAccount after = account.settle("k", released, REMEMBER);
    assertEquals(u("10"), after.remaining());
    assertEquals(Settlement.Kind.RELEASED, after.settled().get("k").kind());
  }

  @Test
  void settledKeysAreForgottenOldestFirst() {
    BudgetAccount account = BudgetAccount.withLimit(u("100"));
    for (int i = 0; i < 5; i++) {
      account = account.reserve("k" + i, u("1"), "m");
      account = account.settle("k" + i, account.releaseOutcome("k" + i), 3);
    }
    assertEquals(
        java.util.List.of("k2", "k3", "k4"), java.util.List.copyOf(account.settled().keySet()));
  }
}
