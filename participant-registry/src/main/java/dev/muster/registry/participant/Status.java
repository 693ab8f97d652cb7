package dev.muster.registry.participant;

import java.util.Locale;

/** Where a participant is in its lifecycle. */
public enum Status {
  ACTIVE,
  DRAINING,
  STOOD_DOWN,
  OFFLINE;

  /** The lowercase word of the wire ({@code stood_down}). */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
