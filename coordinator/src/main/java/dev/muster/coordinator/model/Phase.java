package dev.muster.coordinator.model;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Where a mission is in its life. The transitions form a closed table: anything not listed here is
 * illegal and is rejected before anything is persisted.
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
          Map.entry(PENDING, EnumSet.of(AWAITING_APPROVAL, QUEUED, OFFERED, SPLIT, CANCELLED)),
          Map.entry(AWAITING_APPROVAL, EnumSet.of(QUEUED, OFFERED, FAILED, CANCELLED)),
          Map.entry(QUEUED, EnumSet.of(OFFERED, ESCALATED, CANCELLED)),
          Map.entry(
              OFFERED,
              EnumSet.of(OFFERED, RUNNING, SUCCEEDED, RETRYING, QUEUED, ESCALATED, CANCELLED)),
          Map.entry(
              RUNNING, EnumSet.of(SUCCEEDED, RETRYING, OFFERED, ESCALATED, FAILED, CANCELLED)),
          Map.entry(RETRYING, EnumSet.of(OFFERED, QUEUED, ESCALATED, CANCELLED)),
          Map.entry(SPLIT, EnumSet.of(SUCCEEDED, ESCALATED, FAILED, CANCELLED)),
          Map.entry(ESCALATED, EnumSet.of(QUEUED, OFFERED, RETRYING, FAILED, SUCCEEDED, CANCELLED)),
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

  /** The lowercase word the wire uses ({@code succeeded}, {@code awaiting_approval}). */
  @JsonValue
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
