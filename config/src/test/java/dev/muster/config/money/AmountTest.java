package dev.muster.config.money;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.math.BigDecimal;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AmountTest {

  @ParameterizedTest(name = "{0} -> {1} micros")
  @CsvSource({
    "0, 0",
    "1.5, 1500000",
    "0.000001, 1",
    "12.500000, 12500000",
    "1e2, 100000000",
    "999999999999.999999, 999999999999999999"
  })
  void theWireAcceptsExactDecimalsInRange(String text, long micros) {
    assertEquals(micros, Amount.parse(new BigDecimal(text)).micros());
  }

  @ParameterizedTest(name = "{0} is refused")
  @ValueSource(
      strings = {
        "0.30000000000000004",
        "0.1234567",
        "1e-7",
        "1e300",
        "-1",
        "-0.000001",
        "1000000000000",
        "999999999999.9999991",
        "1e999999999",
        "1e-999999999"
      })
  void theWireRefusesWhatAnAmountCannotHold(String text) {
    // Checked before conversion: even 1e999999999 costs nothing.
    assertTimeoutPreemptively(
        Duration.ofSeconds(1),
        () ->
            assertThrows(IllegalArgumentException.class, () -> Amount.parse(new BigDecimal(text))));
  }

  @ParameterizedTest(name = "recorded {0} reads as {1} micros")
  @CsvSource({
    "0.30000000000000004, 300000",
    "0.1234567, 123457",
    "1e-7, 0",
    "1e300, 999999999999999999",
    "Infinity, 999999999999999999",
    "NaN, 0",
    "-5, 0",
    "2.0, 2000000"
  })
  void whatOlderReleasesRecordedAlwaysReadsBack(double recorded, long micros) {
    assertEquals(micros, Amount.ofRecorded(recorded).micros());
  }

  @Test
  void sumsAreExactAndTotalsThatOnlyReportSaturate() {
    assertEquals(
        "0.3",
        Amount.parse(new BigDecimal("0.1")).plus(Amount.parse(new BigDecimal("0.2"))).toString());
    assertEquals(new BigDecimal("100"), Amount.units(100).toDecimal());
    assertThrows(ArithmeticException.class, () -> new Amount(Long.MAX_VALUE).plus(new Amount(1)));
    assertEquals(
        new Amount(Long.MAX_VALUE), new Amount(Long.MAX_VALUE - 1).plusSaturated(Amount.MAX));
    assertEquals(new Amount(3), new Amount(1).plusSaturated(new Amount(2)));
    assertThrows(IllegalArgumentException.class, () -> new Amount(-1));
  }
}
