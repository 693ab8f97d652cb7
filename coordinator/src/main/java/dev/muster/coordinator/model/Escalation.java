package dev.muster.coordinator.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/** A mission handed to a person, and how (whether) it was resolved. */
public record Escalation(
    String id,
    String reason,
    String target,
    Optional<String> recoveryAction,
    Instant openedAt,
    Optional<Resolution> resolution) {

  /** What an operator (or the mission's own outcome) did about it. */
  public record Resolution(
      Action action,
      Optional<String> participantId,
      String note,
      String by,
      Instant at,
      Optional<String> byDevice) {
    @JsonCreator
    public Resolution {
      byDevice = byDevice == null ? Optional.empty() : byDevice;
    }

    /** A resolution by no device (Muster itself, an operator, a workspace). */
    public Resolution(
        Action action, Optional<String> participantId, String note, String by, Instant at) {
      this(action, participantId, note, by, at, Optional.empty());
    }
  }

  /** An operator's answer to an escalation. */
  public enum Action {
    RETRY,
    REASSIGN,
    RAISE_BUDGET,
    CANCEL,
    ACCEPT_FAILURE,
    CONFIRM_RECOVERY,
    /** Not an operator's: the mission ended (or a child's outcome settled it) first. */
    SETTLED;

    @JsonValue
    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Action ofWire(String text) {
      for (Action action : values()) {
        if (action != SETTLED && action.wire().equals(text)) {
          return action;
        }
      }
      throw new IllegalArgumentException(
          "action must be one of retry, reassign, raise_budget, cancel, accept_failure,"
              + " confirm_recovery; got '"
              + text
              + "'");
    }
  }

  public boolean open() {
    return resolution.isEmpty();
  }

  public Escalation resolved(Resolution how) {
    return new Escalation(id, reason, target, recoveryAction, openedAt, Optional.of(how));
  }
}
