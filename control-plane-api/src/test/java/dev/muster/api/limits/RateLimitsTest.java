package dev.muster.api.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.muster.config.SettingsException;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The buckets on a clock the test moves ({@link ManualTime}): nothing sleeps, and every wait is
 * exact.
 */
class RateLimitsTest {
  private static final Optional<String> NO_WORKSPACE = Optional.empty();
  private static final Optional<String> WS_A = Optional.of("ws-a");
  private static final Optional<String> WS_B = Optional.of("ws-b");

  /** bucket4j's clock, moved by the test. */
  static final class ManualTime implements TimeMeter {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    @Override
    public long currentTimeNanos() {
      return nanos.get();
    }

    @Override
    public boolean isWallClockBased() {
      return false;
    }

    void advance(Duration duration) {
      nanos.addAndGet(duration.toNanos());
    }
  }

  private final ManualTime time = new ManualTime();

  /**
   * Limits where every class has the same buckets: a subject's {@code subjectCapacity} refilled
   * {@code subjectRate}/s, a workspace's {@code workspaceCapacity} refilled {@code
   * workspaceRate}/s; {@code extra} overrides anything.
   */
  private RateLimits limits(
      long subjectCapacity,
      long subjectRate,
      long workspaceCapacity,
      long workspaceRate,
      String extra) {
    StringBuilder config = new StringBuilder(extra).append('\n');
    for (ScopeClass scopeClass : ScopeClass.values()) {
      String name = scopeClass.configName();
      config
          .append("muster.rate-limits.per-subject.")
          .append(name)
          .append(" { capacity = ")
          .append(subjectCapacity)
          .append(", refill-per-second = ")
          .append(subjectRate)
          .append(" }\n")
          .append("muster.rate-limits.per-workspace.")
          .append(name)
          .append(" { capacity = ")
          .append(workspaceCapacity)
          .append(", refill-per-second = ")
          .append(workspaceRate)
          .append(" }\n");
    }
    return new RateLimits(settings(config.toString()), time);
  }

  private static RateLimitSettings settings(String config) {
    return RateLimitSettings.from(
        ConfigFactory.parseString(config).withFallback(ConfigFactory.load()).resolve());
  }

  /** Takes {@code n} tokens, each of which must go. */
  private static void takeAll(
      RateLimits limits, int n, String subject, Optional<String> workspace, ScopeClass c) {
    for (int i = 0; i < n; i++) {
      assertEquals(
          Optional.empty(), limits.take(subject, workspace, c), subject + " request " + (i + 1));
    }
  }

  private static Duration refused(
      RateLimits limits, String subject, Optional<String> workspace, ScopeClass c) {
    Optional<Duration> wait = limits.take(subject, workspace, c);
    assertTrue(wait.isPresent(), subject + " should be refused");
    assertTrue(!wait.get().isNegative() && !wait.get().isZero(), "a positive wait: " + wait.get());
    return wait.get();
  }

  @ParameterizedTest
  @EnumSource(ScopeClass.class)
  void aBurstUpToTheCapacityGoesThenTheNextIsRefusedWithTheWaitForOneToken(ScopeClass c) {
    RateLimits limits = limits(3, 2, 1000, 1000, "");
    takeAll(limits, 3, "alice", WS_A, c);
    assertEquals(Duration.ofMillis(500), refused(limits, "alice", WS_A, c));
  }

  @ParameterizedTest(name = "{0} ms after the burst: {1} more go, then a wait of {2} ms")
  @CsvSource({
    "0,     0, 500",
    "499,   0, 1",
    "500,   1, 500",
    "1000,  2, 500",
    "1250,  2, 250",
    "60000, 3, 500",
  })
  void tokensComeBackContinuouslyUpToTheCapacity(long advanceMillis, int more, long waitMillis) {
    RateLimits limits = limits(3, 2, 1000, 1000, "");
    takeAll(limits, 3, "alice", NO_WORKSPACE, ScopeClass.WORK);
    time.advance(Duration.ofMillis(advanceMillis));
    takeAll(limits, more, "alice", NO_WORKSPACE, ScopeClass.WORK);
    assertEquals(
        Duration.ofMillis(waitMillis), refused(limits, "alice", NO_WORKSPACE, ScopeClass.WORK));
  }

  @Test
  void oneSubjectsFloodDoesNotTouchAnotherSubjectsBucket() {
    RateLimits limits = limits(5, 1, 1000, 1000, "");
    takeAll(limits, 5, "flood", WS_A, ScopeClass.WRITE);
    for (int i = 0; i < 50; i++) {
      refused(limits, "flood", WS_A, ScopeClass.WRITE);
    }
    takeAll(limits, 5, "quiet", WS_A, ScopeClass.WRITE);
  }

  @Test
  void eachClassHasItsOwnBuckets() {
    RateLimits limits = limits(2, 1, 2, 1, "");
    takeAll(limits, 2, "worker", WS_A, ScopeClass.WORK);
    refused(limits, "worker", WS_A, ScopeClass.WORK);
    takeAll(limits, 2, "worker", WS_A, ScopeClass.READ);
    takeAll(limits, 2, "worker", WS_A, ScopeClass.WRITE);
    takeAll(limits, 2, "worker", WS_A, ScopeClass.ADMIN);
  }

  @Test
  void aWorkspacesBucketLimitsAllItsSubjectsTogether() {
    RateLimits limits = limits(100, 100, 6, 1, "");
    for (int i = 0; i < 6; i++) {
      takeAll(limits, 1, "subject-" + (i % 3), WS_A, ScopeClass.WRITE);
    }
    for (int i = 0; i < 3; i++) {
      assertEquals(Duration.ofSeconds(1), refused(limits, "subject-" + i, WS_A, ScopeClass.WRITE));
      assertEquals(Duration.ofSeconds(1), refused(limits, "newcomer", WS_A, ScopeClass.WRITE));
    }
    takeAll(limits, 6, "subject-0", WS_B, ScopeClass.WRITE);
    takeAll(limits, 10, "subject-0", NO_WORKSPACE, ScopeClass.WRITE);
  }

  @Test
  void aRequestRefusedByItsWorkspaceTakesNothingFromItsSubject() {
    RateLimits limits = limits(2, 1, 1, 1, "");
    takeAll(limits, 1, "alice", WS_A, ScopeClass.WRITE);
    for (int i = 0; i < 10; i++) {
      refused(limits, "alice", WS_A, ScopeClass.WRITE);
    }
    // alice still has the second token of her own bucket
    takeAll(limits, 1, "alice", WS_B, ScopeClass.WRITE);
    refused(limits, "alice", Optional.of("ws-c"), ScopeClass.WRITE);
  }

  @Test
  void aRequestRefusedByItsSubjectTakesNothingFromItsWorkspace() {
    RateLimits limits = limits(1, 1, 2, 1, "");
    takeAll(limits, 1, "alice", WS_A, ScopeClass.WRITE);
    for (int i = 0; i < 10; i++) {
      refused(limits, "alice", WS_A, ScopeClass.WRITE);
    }
    // the workspace still has its second token
    takeAll(limits, 1, "bob", WS_A, ScopeClass.WRITE);
    refused(limits, "carol", WS_A, ScopeClass.WRITE);
  }

  @Test
  void aRefusalNamesTheLongerOfTheTwoWaits() {
    RateLimits limits = limits(1, 10, 1, 1, "");
    takeAll(limits, 1, "alice", WS_A, ScopeClass.READ);
    assertEquals(Duration.ofSeconds(1), refused(limits, "alice", WS_A, ScopeClass.READ));
    time.advance(Duration.ofMillis(100));
    // alice's own bucket has refilled; the workspace's has not
    assertEquals(Duration.ofMillis(900), refused(limits, "alice", WS_A, ScopeClass.READ));
  }

  @Test
  void disabledLimitsLetEverythingGoAndKeepNoBucket() {
    RateLimits limits = limits(1, 1, 1, 1, "muster.rate-limits.enabled = false");
    for (ScopeClass c : ScopeClass.values()) {
      takeAll(limits, 100, "alice", WS_A, c);
    }
    assertEquals(0, limits.tracked());
  }

  @Test
  void beyondMaxTrackedTheLeastRecentlyUsedBucketIsDropped() {
    RateLimits limits = limits(1, 1, 1000, 1000, "muster.rate-limits.max-tracked = 2");
    takeAll(limits, 1, "alice", NO_WORKSPACE, ScopeClass.READ);
    takeAll(limits, 1, "bob", NO_WORKSPACE, ScopeClass.READ);
    refused(limits, "alice", NO_WORKSPACE, ScopeClass.READ); // alice is now the most recent
    takeAll(limits, 1, "carol", NO_WORKSPACE, ScopeClass.READ); // bob's bucket goes
    assertEquals(2, limits.tracked());
    refused(limits, "alice", NO_WORKSPACE, ScopeClass.READ); // alice's empty bucket was kept
    takeAll(limits, 1, "bob", NO_WORKSPACE, ScopeClass.READ); // bob starts again, full
    assertEquals(2, limits.tracked());
  }

  @Test
  void theDefaultsHaveEveryKeyAndAreOn() {
    RateLimitSettings defaults = settings("");
    assertTrue(defaults.enabled());
    assertEquals(ScopeClass.values().length, defaults.perSubject().size());
    assertEquals(ScopeClass.values().length, defaults.perWorkspace().size());
    assertEquals(100_000, defaults.maxTracked());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "muster.rate-limits.per-subject.read.capacity = 0 | rate-limits.per-subject.read.capacity",
        "muster.rate-limits.per-workspace.work.refill-per-second = -1"
            + " | rate-limits.per-workspace.work.refill-per-second",
        "muster.rate-limits.max-tracked = 0 | rate-limits.max-tracked",
        "muster.rate-limits.enabled = maybe | rate-limits.enabled",
        "muster.rate-limits.per-subject.admin.capacity = lots | rate-limits.per-subject.admin.capacity",
      })
  void aBadSettingIsRefusedNamingItsKey(String config, String key) {
    SettingsException refused = assertThrows(SettingsException.class, () -> settings(config));
    assertTrue(refused.getMessage().contains(key), refused.getMessage());
  }
}
