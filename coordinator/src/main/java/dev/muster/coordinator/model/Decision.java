package dev.muster.coordinator.model;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What the coordinator decided about a mission, and why. Persisted as the event {@code
 * DecisionMade}; the mission's decision log is the evidence of why work moved.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
  @JsonSubTypes.Type(value = Decision.Proceed.class, name = "proceed"),
  @JsonSubTypes.Type(value = Decision.Retry.class, name = "retry"),
  @JsonSubTypes.Type(value = Decision.Complete.class, name = "complete")
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
      Map<String, Object> inputs = new LinkedHashMap<>();
      inputs.put("participant_id", participantId);
      inputs.put("attempt", attempt);
      return inputs;
    }
  }

  /** Try again after {@code backoffMillis}, not with the participants in the reason. */
  record Retry(int nextAttempt, long backoffMillis, String reason) implements Decision {
    public Kind kind() {
      return Kind.RETRY;
    }

    public Map<String, Object> inputs() {
      Map<String, Object> inputs = new LinkedHashMap<>();
      inputs.put("next_attempt", nextAttempt);
      inputs.put("backoff_ms", backoffMillis);
      return inputs;
    }
  }

  /** The mission is done: attempt {@code attempt} succeeded. */
  record Complete(int attempt, String reason) implements Decision {
    public Kind kind() {
      return Kind.COMPLETE;
    }

    public Map<String, Object> inputs() {
      return Map.of("attempt", attempt);
    }
  }
}
