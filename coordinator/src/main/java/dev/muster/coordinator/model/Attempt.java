package dev.muster.coordinator.model;

import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * One try of a mission by one participant; {@code result} is what it reported (null until then).
 */
public record Attempt(
    int number,
    String participantId,
    State state,
    Instant offeredAt,
    Optional<Instant> acceptedAt,
    Optional<Instant> endedAt,
    JsonNode result) {

  public enum State {
    OFFERED,
    RUNNING,
    SUCCEEDED,
    SUPERSEDED;

    @JsonValue
    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public static Attempt offered(int number, String participantId, Instant at) {
    return new Attempt(
        number,
        participantId,
        State.OFFERED,
        at,
        Optional.empty(),
        Optional.empty(),
        NullNode.instance);
  }

  public boolean active() {
    return state == State.OFFERED || state == State.RUNNING;
  }

  public Attempt accepted(Instant at) {
    return new Attempt(
        number, participantId, State.RUNNING, offeredAt, Optional.of(at), endedAt, result);
  }

  public Attempt succeeded(JsonNode output, Instant at) {
    return new Attempt(
        number,
        participantId,
        State.SUCCEEDED,
        offeredAt,
        acceptedAt.or(() -> Optional.of(at)),
        Optional.of(at),
        output);
  }

  public Attempt superseded(Instant at) {
    return new Attempt(
        number, participantId, State.SUPERSEDED, offeredAt, acceptedAt, Optional.of(at), result);
  }
}
