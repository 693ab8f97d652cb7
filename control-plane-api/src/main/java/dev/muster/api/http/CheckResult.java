package dev.muster.api.http;

/** The outcome of one readiness check: {@code status} is {@code up} or {@code down}. */
public record CheckResult(String status, String detail) {
  public static final String UP = "up";
  public static final String DOWN = "down";

  public static CheckResult up(String detail) {
    return new CheckResult(UP, detail);
  }

  public static CheckResult down(String detail) {
    return new CheckResult(DOWN, detail);
  }

  /** True when the check passed (not named isUp: Jackson would write it as a field). */
  public boolean ok() {
    return UP.equals(status);
  }
}
