package dev.muster.registry;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A clock a test moves forward by hand; safe to read from the actor's thread. {@link #breakOnce()}
 * makes its next reading throw, which is how a test makes a command's handler fail.
 */
public final class MutableClock extends Clock {
  private volatile Instant now;
  private volatile boolean broken;

  public MutableClock(Instant start) {
    this.now = start;
  }

  public void advance(Duration by) {
    now = now.plus(by);
  }

  /** The next reading throws (once). */
  public void breakOnce() {
    broken = true;
  }

  @Override
  public Instant instant() {
    if (broken) {
      broken = false;
      throw new IllegalStateException("the test broke the clock");
    }
    return now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("a test clock stays in UTC");
  }
}
