package dev.muster.registry.participant;

import dev.muster.config.CborSerializable;
import java.util.Optional;

/** Who a participant's failures escalate to, and after how many failed attempts. */
public record EscalationPosture(Optional<String> escalateTo, int afterAttempts)
    implements CborSerializable {
  public static final EscalationPosture NONE = new EscalationPosture(Optional.empty(), 0);

  public EscalationPosture {
    escalateTo = escalateTo == null ? Optional.empty() : escalateTo;
  }

  Optional<String> problem() {
    if (escalateTo.isPresent()) {
      if (escalateTo.get().isBlank()) {
        return Optional.of("escalation.escalate_to must not be blank");
      }
      if (afterAttempts < 1) {
        return Optional.of("escalation.after_attempts must be at least 1");
      }
    } else if (afterAttempts != 0) {
      return Optional.of("escalation.after_attempts needs escalation.escalate_to");
    }
    return Optional.empty();
  }
}
