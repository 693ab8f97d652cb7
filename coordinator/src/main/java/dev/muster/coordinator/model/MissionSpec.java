package dev.muster.coordinator.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import dev.muster.config.money.Amount;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What was asked: the work, where it belongs, who may do it, how urgent it is, and the rules it
 * runs under. Immutable once submitted; every optional part has been filled with its default before
 * the spec is stored. Fields added after the first release ({@code priority}, {@code
 * timeouts.max_queue_ms}, a child's priority) read as their defaults from older events; budget
 * estimates recorded as floating point are read by {@code mission/MissionMigrations}.
 */
public record MissionSpec(
    String workspace,
    String title,
    Optional<SpecRef> spec,
    Set<String> requiredCapabilities,
    Set<String> requiredRoles,
    JsonNode input,
    RetryPolicy retryPolicy,
    Timeouts timeouts,
    Optional<SplitPlan> split,
    Optional<BudgetRef> budget,
    boolean approvalRequired,
    Optional<String> parentId,
    int priority) {

  public MissionSpec {
    requiredCapabilities = Set.copyOf(requiredCapabilities);
    requiredRoles = Set.copyOf(requiredRoles);
    spec = spec == null ? Optional.empty() : spec;
    split = split == null ? Optional.empty() : split;
    budget = budget == null ? Optional.empty() : budget;
    parentId = parentId == null ? Optional.empty() : parentId;
  }

  /** Which specification (and version) the work implements. */
  public record SpecRef(String specId, String specVersion) {}

  /** How failures are retried: attempts, exponential backoff, and which error kinds may retry. */
  public record RetryPolicy(
      int maxAttempts,
      long initialBackoffMs,
      double multiplier,
      long maxBackoffMs,
      Set<String> retryableErrorKinds) {
    public RetryPolicy {
      retryableErrorKinds = Set.copyOf(retryableErrorKinds);
    }

    /** The wait before retry number {@code retry} (1 for the first retry). */
    public Duration backoff(int retry) {
      double millis = initialBackoffMs * Math.pow(multiplier, Math.max(0, retry - 1));
      return Duration.ofMillis((long) Math.min(millis, maxBackoffMs));
    }

    /** An error kind may be retried: any kind when the list is empty. */
    public boolean retries(Optional<String> errorKind) {
      return retryableErrorKinds.isEmpty()
          || errorKind.map(retryableErrorKinds::contains).orElse(false);
    }
  }

  /**
   * How long a mission may wait with nobody able to start it, how long a started attempt may run,
   * how often its worker must heartbeat, and (optionally) how long it may wait in the backlog while
   * capable participants are all busy.
   */
  public record Timeouts(
      long scheduleToStartMs, long startToCloseMs, long heartbeatMs, Optional<Long> maxQueueMs) {
    public Timeouts {
      maxQueueMs = maxQueueMs == null ? Optional.empty() : maxQueueMs;
    }

    public Timeouts(long scheduleToStartMs, long startToCloseMs, long heartbeatMs) {
      this(scheduleToStartMs, startToCloseMs, heartbeatMs, Optional.empty());
    }

    public Optional<Duration> maxQueue() {
      return maxQueueMs.map(Duration::ofMillis);
    }

    public Duration scheduleToStart() {
      return Duration.ofMillis(scheduleToStartMs);
    }

    public Duration startToClose() {
      return Duration.ofMillis(startToCloseMs);
    }

    public Duration heartbeat() {
      return Duration.ofMillis(heartbeatMs);
    }
  }

  /** Children to fan out to, and when the parent is done. */
  public record SplitPlan(JoinMode join, List<ChildSpec> children) {
    public SplitPlan {
      children = List.copyOf(children);
    }
  }

  /**
   * One child of a split: its own work and requirements, and its priority if not the parent's; the
   * rest is inherited.
   */
  public record ChildSpec(
      String title,
      Set<String> requiredCapabilities,
      Set<String> requiredRoles,
      JsonNode input,
      Optional<Integer> priority) {
    public ChildSpec {
      requiredCapabilities = Set.copyOf(requiredCapabilities);
      requiredRoles = Set.copyOf(requiredRoles);
      priority = priority == null ? Optional.empty() : priority;
    }

    public ChildSpec(
        String title, Set<String> requiredCapabilities, Set<String> requiredRoles, JsonNode input) {
      this(title, requiredCapabilities, requiredRoles, input, Optional.empty());
    }
  }

  /** Which budget pays for the mission, and how much one attempt is expected to cost. */
  public record BudgetRef(String scope, Amount estimate) {}

  /** {@code all} children must succeed, the {@code first} success wins, or {@code quorum:n}. */
  public record JoinMode(Kind kind, int quorum) {
    public enum Kind {
      ALL,
      FIRST,
      QUORUM
    }

    public static JoinMode parse(String text) {
      String t = text.trim().toLowerCase(Locale.ROOT);
      if (t.equals("all")) {
        return new JoinMode(Kind.ALL, 0);
      }
      if (t.equals("first")) {
        return new JoinMode(Kind.FIRST, 1);
      }
      if (t.startsWith("quorum:")) {
        try {
          int n = Integer.parseInt(t.substring("quorum:".length()));
          if (n > 0) {
            return new JoinMode(Kind.QUORUM, n);
          }
        } catch (NumberFormatException ignored) {
          // reported below
        }
      }
      throw new IllegalArgumentException(
          "join must be all, first or quorum:<n> with n > 0, got '" + text + "'");
    }

    /** How many children must succeed, out of {@code children}. */
    public int needed(int children) {
      return switch (kind) {
        case ALL -> children;
        case FIRST -> 1;
        case QUORUM -> quorum;
      };
    }

    @JsonValue
    public String wire() {
      return kind == Kind.QUORUM ? "quorum:" + quorum : kind.name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static JoinMode fromWire(String text) {
      return parse(text);
    }
  }

  /** The spec of child {@code index} of this split mission. */
  public MissionSpec child(String parentId, int index) {
    ChildSpec child = split.orElseThrow().children().get(index);
    return new MissionSpec(
        workspace,
        child.title(),
        spec,
        child.requiredCapabilities(),
        child.requiredRoles(),
        child.input(),
        retryPolicy,
        timeouts,
        Optional.empty(),
        budget,
        false,
        Optional.of(parentId),
        child.priority().orElse(priority));
  }
}
