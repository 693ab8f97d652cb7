package dev.muster.testing;

import java.time.Duration;

/** Waits for a condition with a deadline, instead of sleeping and hoping. */
public final class Eventually {
  private static final Duration POLL = Duration.ofMillis(25);

  private Eventually() {}

  /**
   * Retries {@code assertion} until it passes or {@code timeout} ends; then rethrows its failure.
   */
  public static void assertWithin(Duration timeout, ThrowingRunnable assertion) {
    get(
        timeout,
        () -> {
          assertion.run();
          return Boolean.TRUE;
        });
  }

  /** Retries {@code supplier} until it returns without throwing, within {@code timeout}. */
  public static <T> T get(Duration timeout, ThrowingSupplier<T> supplier) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        return supplier.call();
      } catch (Throwable failure) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("not true within " + timeout + ": " + failure, failure);
        }
      }
      try {
        Thread.sleep(POLL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting", e);
      }
    }
  }

  @FunctionalInterface
  public interface ThrowingSupplier<T> {
    T call() throws Throwable;
  }

  @FunctionalInterface
  public interface ThrowingRunnable {
    void run() throws Throwable;
  }
}
