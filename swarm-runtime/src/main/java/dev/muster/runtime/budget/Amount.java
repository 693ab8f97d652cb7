package dev.muster.runtime.budget;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * A budget amount in micro-units (one unit = 1,000,000 micros), so that sums are exact: no floating
 * point anywhere, and arithmetic that would overflow a {@code long} throws instead of wrapping. On
 * the wire an amount is a decimal number with at most six fraction digits ({@code 12.5}); in the
 * journal it is the plain count of micros.
 */
public record Amount(long micros) implements Comparable<Amount> {
  public static final int SCALE = 6;
  public static final Amount ZERO = new Amount(0);

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public Amount {
    if (micros < 0) {
      throw new IllegalArgumentException("an amount must not be negative, got " + micros + "µ");
    }
  }

  @JsonValue
  public long micros() {
    return micros;
  }

  /** Whole units. */
  public static Amount units(long units) {
    return new Amount(Math.multiplyExact(units, 1_000_000L));
  }

  /**
   * A decimal amount; refused (IllegalArgumentException) when negative, when it has more than six
   * fraction digits or when it is too large.
   */
  public static Amount of(BigDecimal value) {
    if (value.signum() < 0) {
      throw new IllegalArgumentException("an amount must not be negative, got " + value);
    }
    try {
      return new Amount(value.movePointRight(SCALE).longValueExact());
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(
          "an amount has at most "
              + SCALE
              + " fraction digits and at most 12 integer digits, got "
              + value.toPlainString());
    }
  }

  /** As a decimal without trailing zeros ({@code 100}, {@code 12.5}). */
  public BigDecimal toDecimal() {
    BigDecimal value = BigDecimal.valueOf(micros, SCALE).stripTrailingZeros();
    return value.scale() < 0 ? value.setScale(0, RoundingMode.UNNECESSARY) : value;
  }

  public Amount plus(Amount other) {
    return new Amount(Math.addExact(micros, other.micros));
  }

  /** {@code this - other}; refused when the result would be negative. */
  public Amount minus(Amount other) {
    return new Amount(Math.subtractExact(micros, other.micros));
  }

  public Amount min(Amount other) {
    return micros <= other.micros ? this : other;
  }

  public boolean isZero() {
    return micros == 0;
  }

  public boolean exceeds(Amount other) {
    return micros > other.micros;
  }

  @Override
  public int compareTo(Amount other) {
    return Long.compare(micros, other.micros);
  }

  @Override
  public String toString() {
    return toDecimal().toPlainString();
  }
}
