package dev.muster.config.money;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Money, and every other budgeted quantity, in micro-units (one unit = 1,000,000 micros): sums are
 * exact, with no floating point anywhere from the wire to the journal. On the wire an amount is a
 * decimal number from 0 to {@link #MAX} with at most six fraction digits ({@code 12.5}); {@link
 * #parse} refuses anything else, so the API answers 400 before a value reaches an entity. In the
 * journal an amount is the plain count of micros.
 */
public record Amount(long micros) implements Comparable<Amount> {
  public static final int SCALE = 6;
  private static final long MAX_MICROS = 999_999_999_999_999_999L;
  private static final BigDecimal MAX_DECIMAL = BigDecimal.valueOf(MAX_MICROS, SCALE);

  public static final Amount ZERO = new Amount(0);

  /** The largest amount: twelve integer and six fraction digits, 999999999999.999999. */
  public static final Amount MAX = new Amount(MAX_MICROS);

  /** What {@link #parse} accepts, in words for an API client. */
  public static final String RULE =
      "a decimal number from 0 to "
          + MAX_DECIMAL.toPlainString()
          + " with at most 6 fraction digits";

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public Amount {
    // Not bounded by MAX: a release before MAX existed stored amounts up to Long.MAX_VALUE micros.
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
   * An exact decimal amount; refused ({@link IllegalArgumentException} saying {@link #RULE}) when
   * negative, above {@link #MAX} or with more than six fraction digits. Checked before any
   * conversion, so a value like {@code 1e999999999} costs no more than {@code 1}.
   */
  public static Amount parse(BigDecimal value) {
    if (value.signum() < 0
        || value.compareTo(MAX_DECIMAL) > 0
        || value.stripTrailingZeros().scale() > SCALE) {
      throw new IllegalArgumentException("must be " + RULE + ", got " + describe(value));
    }
    return new Amount(value.movePointRight(SCALE).longValueExact());
  }

  /**
   * An amount recorded as a binary floating-point number by a release before amounts were exact.
   * Never refused, so such an event always reads back: rounded half up to six fraction digits,
   * negative and NaN read as 0, anything above {@link #MAX} (up to infinity) reads as {@link #MAX}.
   */
  public static Amount ofRecorded(double value) {
    if (Double.isNaN(value) || value <= 0) {
      return ZERO;
    }
    if (Double.isInfinite(value)) {
      return MAX;
    }
    BigDecimal exact = new BigDecimal(value).setScale(SCALE, RoundingMode.HALF_UP);
    return exact.compareTo(MAX_DECIMAL) > 0
        ? MAX
        : new Amount(exact.movePointRight(SCALE).longValueExact());
  }

  /** As a decimal without trailing zeros ({@code 100}, {@code 12.5}). */
  public BigDecimal toDecimal() {
    BigDecimal value = BigDecimal.valueOf(micros, SCALE).stripTrailingZeros();
    return value.scale() < 0 ? value.setScale(0, RoundingMode.UNNECESSARY) : value;
  }

  /**
   * {@code this + other}; throws when the sum does not fit a {@code long} of micros (sums above
   * {@link #MAX} are kept: a total may exceed what one request may carry).
   */
  public Amount plus(Amount other) {
    return new Amount(Math.addExact(micros, other.micros));
  }

  /**
   * {@code this + other}, or {@code Long.MAX_VALUE} micros when the sum would not fit: for totals
   * that only report (an overage), so that no sequence of accepted amounts can make an entity fail.
   */
  public Amount plusSaturated(Amount other) {
    return Long.MAX_VALUE - micros < other.micros
        ? new Amount(Long.MAX_VALUE)
        : new Amount(micros + other.micros);
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

  /** A refused value for a message: short, whatever its exponent. */
  private static String describe(BigDecimal value) {
    String text = value.toString();
    return text.length() > 40 ? text.substring(0, 40) + "…" : text;
  }
}
