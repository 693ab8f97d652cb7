package dev.muster.registry.participant;

import java.util.Locale;

/** What sort of participant it is. */
public enum Kind {
  HOSTED_WORKER,
  EXTERNAL_AGENT,
  CONNECTED_RUNTIME,
  FLEET_WORKER,
  REVIEWER,
  ARBITER;

  /** The lowercase word of the wire ({@code fleet_worker}). */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
