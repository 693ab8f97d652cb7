package dev.muster.coordinator.model;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What the coordinator decided about a mission, and why. Persisted as the event {@code
 * DecisionMade}; the mission's decision log is the evidence of why work moved.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
  @JsonSubTypes.Type(value = Decision.Proceed.class, name = "proceed"),
  @JsonSubTypes.Type(value = Decision.Split.class, name = "split"),
  @JsonSubTypes.Type(value = Decision.Retry.class, name = "retry"),
  @JsonSubTypes.Type(value = Decision.Escalate.class, name = "escalate"),
  @JsonSubTypes.Type(value = Decision.StandDown.class, name = "stand_down"),
  @JsonSubTypes.Type(value = Decision.Complete.class, name = "complete"),
  @JsonSubTypes.Type(value = Decision.Fail.class, name = "fail")
})
public sealed interface Decision {

  /** The decisions on the wire: {@code proceed}, {@code split}, {@code retry}, ... */
  enum Kind {
    PROCEED,
    SPLIT,
    RETRY,
    ESCALATE,
    STAND_DOWN,
    COMPLETE,
    FAIL;

    @JsonValue
    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  Kind kind();

  String reason();

  /** The facts the decision was made on, as shown in the decision log. */
  Map<String, Object> inputs();

  /** Offer the mission, as attempt {@code attempt}, to {@code participantId}. */
  record Proceed(String participantId, int attempt, String reason) implements Decision {
    public Kind kind() {
      return Kind.PROCEED;
    }

    public Map<String, Object> inputs() {
      return ordered("participant_id", participantId, "attempt", attempt);
    }
  }

  /** Fan out into children, each a mission of its own, joined by {@code join}. */
  record Split(List<String> children, String join, String reason) implements Decision {
    public Split {
      children = List.copyOf(children);
    }

    public Kind kind() {
      return Kind.SPLIT;
    }

    public Map<String, Object> inputs() {
      return ordered("children", children, "join", join);
    }
  }

  /** Try again after {@code backoffMs}, preferring participants other than {@code avoid}. */
  record Retry(int nextAttempt, long backoffMs, List<String> avoid, String reason)
      implements Decision {
    public Retry {
      avoid = List.copyOf(avoid);
    }

    public Kind kind() {
      return Kind.RETRY;
    }

    public Map<String, Object> inputs() {
      return ordered("next_attempt", nextAttempt, "backoff_ms", backoffMs, "avoid", avoid);
    }
  }

  /** Hand the mission to a person: escalation {@code escalationId}, to {@code target}. */
  record Escalate(
      String escalationId, String target, Optional<String> recoveryAction, String reason)
      implements Decision {
    public Kind kind() {
      return Kind.ESCALATE;
    }

    public Map<String, Object> inputs() {
      Map<String, Object> inputs = ordered("escalation_id", escalationId, "target", target);
      recoveryAction.ifPresent(a -> inputs.put("recovery_action", a));
      return inputs;
    }
  }

  /**
   * Stop work: the listed attempts (their participants are told to stand down) and children. When
   * {@code ends} is present the mission itself ends in that phase (cancelled, stood down).
   */
  record StandDown(
      List<Integer> attempts,
      List<String> participants,
      List<String> children,
      Optional<Phase> ends,
      String reason)
      implements Decision {
    public StandDown {
      attempts = List.copyOf(attempts);
      participants = List.copyOf(participants);
      children = List.copyOf(children);
    }

    public Kind kind() {
      return Kind.STAND_DOWN;
    }

    public Map<String, Object> inputs() {
      Map<String, Object> inputs =
          ordered("attempts", attempts, "participants", participants, "children", children);
      ends.ifPresent(p -> inputs.put("mission_ends", p.wire()));
      return inputs;
    }
  }

  /** The mission is done and succeeded. */
  record Complete(String reason) implements Decision {
    public Kind kind() {
      return Kind.COMPLETE;
    }

    public Map<String, Object> inputs() {
      return Map.of();
    }
  }

  /** The mission is done and failed. */
  record Fail(String reason) implements Decision {
    public Kind kind() {
      return Kind.FAIL;
    }

    public Map<String, Object> inputs() {
      return Map.of();
    }
  }

  private static Map<String, Object> ordered(Object... keysAndValues) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return map;
  }
}
