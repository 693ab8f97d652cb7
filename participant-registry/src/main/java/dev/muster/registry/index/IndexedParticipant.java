package dev.muster.registry.index;

import dev.muster.registry.participant.Participant;
import dev.muster.registry.participant.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * What the capability index knows of one participant: its state folded from its events by the
 * entity's own transitions ({@link Participant.Enrolled#apply}), and {@code sequenceNr}, the last
 * event folded in.
 */
public record IndexedParticipant(Participant.Enrolled participant, long sequenceNr) {

  public String id() {
    return participant.id();
  }

  public String workspace() {
    return participant.registration().workspace();
  }

  public Status status() {
    return participant.status();
  }

  public Set<String> roles() {
    return participant.registration().roles();
  }

  public Set<String> capabilities() {
    return participant.registration().capabilities();
  }

  public int maxConcurrentAttempts() {
    return participant.registration().maxConcurrentAttempts();
  }

  /** Its last recorded heartbeat, or its registration. */
  public Instant lastSeen() {
    return participant.lastSeen();
  }

  /** The status as of {@code now}: active but not heard of within the window reads offline. */
  public Status statusAt(Instant now, Duration livenessWindow) {
    return participant.statusAt(now, livenessWindow);
  }
}
