package dev.muster.coordinator.model;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Where a mission is in its life. The transitions form a closed table: anything not listed here is
 * illegal, and a command that would need it is rejected before anything is persisted.
 */
public enum Phase {
  PENDING,
  AWAITING_APPROVAL,
  QUEUED,
  OFFERED,
  RUNNING,
  RETRYING,
  SPLIT,
  SUCCEEDED,
  FAILED,
  ESCALATED,
  STOOD_DOWN,
  CANCELLED;

  private static final Set<Phase> FINAL = EnumSet.of(SUCCEEDED, FAILED, STOOD_DOWN, CANCELLED);

  private static final Map<Phase, Set<Phase>> NEXT =
      Map.ofEntries(
          Map.entry(
              PENDING, EnumSet.of(AWAITING_APPROVAL, QUEUED, OFFERED, SPLIT, ESCALATED, CANCELLED)),
          Map.entry(
              AWAITING_APPROVAL, EnumSet.of(QUEUED, OFFERED, SPLIT, FAILED, ESCALATED, CANCELLED)),
          Map.entry(QUEUED, EnumSet.of(OFFERED, RETRYING, ESCALATED, CANCELLED, STOOD_DOWN)),
          Map.entry(
              OFFERED,
              EnumSet.of(
                  OFFERED, RUNNING, SUCCEEDED, RETRYING, ESCALATED, FAILED, CANCELLED, STOOD_DOWN)),
          Map.entry(
              RUNNING,
              EnumSet.of(OFFERED, SUCCEEDED, RETRYING, ESCALATED, FAILED, CANCELLED, STOOD_DOWN)),
          Map.entry(RETRYING, EnumSet.of(OFFERED, ESCALATED, FAILED, CANCELLED, STOOD_DOWN)),
          Map.entry(SPLIT, EnumSet.of(SUCCEEDED, ESCALATED, FAILED, CANCELLED, STOOD_DOWN)),
          Map.entry(
              ESCALATED,
              EnumSet.of(OFFERED, RETRYING, SPLIT, SUCCEEDED, FAILED, CANCELLED, STOOD_DOWN)),
          Map.entry(SUCCEEDED, EnumSet.noneOf(Phase.class)),
          Map.entry(FAILED, EnumSet.noneOf(Phase.class)),
          Map.entry(STOOD_DOWN, EnumSet.noneOf(Phase.class)),
          Map.entry(CANCELLED, EnumSet.noneOf(Phase.class)));

  public boolean canMoveTo(Phase next) {
    return NEXT.get(this).contains(next);
  }

  public boolean isFinal() {
    return FINAL.contains(this);
  }

  /** Waiting for a participant: nobody has the work right now. */
  public boolean waiting() {
    return this == QUEUED || this == RETRYING;
  }

  /** The lowercase word the wire uses ({@code succeeded}, {@code awaiting_approval}). */
  @JsonValue
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Phase ofWire(String text) {
    for (Phase phase : values()) {
      if (phase.wire().equals(text)) {
        return phase;
      }
    }
    throw new IllegalArgumentException("unknown mission state '" + text + "'");
  }
}
