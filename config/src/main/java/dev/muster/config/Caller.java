package dev.muster.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.Optional;

/**
 * Who asks for a change or a read: the workspace the request is confined to (empty: it may reach
 * every workspace), who acts (the token's subject, recorded in the events it causes), the name of
 * the registered device it acts from (a phone's token) and, for a worker's own credential, the
 * participant it is (such a caller may act only on work offered to that participant). The HTTP
 * layer makes one per request in one place; entities check it against their own workspace, so an
 * object of another workspace answers exactly like one that does not exist.
 */
public record Caller(
    Optional<String> workspace,
    String actor,
    Optional<String> participant,
    Optional<String> deviceName)
    implements CborSerializable {
  /** Who acts when a request names nobody. */
  public static final String DEFAULT_ACTOR = "operator";

  /** Muster itself (a mission acting on its children, the dispatcher): every workspace. */
  public static final Caller SYSTEM = new Caller(Optional.empty(), "coordinator");

  @JsonCreator
  public Caller {
    workspace = workspace == null ? Optional.empty() : workspace;
    actor = actor == null || actor.isBlank() ? DEFAULT_ACTOR : actor;
    participant = participant == null ? Optional.empty() : participant;
    deviceName = deviceName == null ? Optional.empty() : deviceName;
  }

  /** A caller that is not a participant's credential. */
  public Caller(Optional<String> workspace, String actor) {
    this(workspace, actor, Optional.empty(), Optional.empty());
  }

  /** This caller, acting from the registered device {@code name} (audit and decisions name it). */
  public Caller fromDevice(Optional<String> name) {
    return new Caller(workspace, actor, participant, name);
  }

  /** A caller that may reach every workspace. */
  public static Caller unconfined(String actor) {
    return new Caller(Optional.empty(), actor);
  }

  /** A caller confined to {@code workspace}. */
  public static Caller in(String workspace, String actor) {
    return new Caller(Optional.of(workspace), actor);
  }

  /** A participant's own credential: confined to its workspace and to its own work. */
  public static Caller participant(String workspace, String participantId) {
    return new Caller(
        Optional.of(workspace), participantId, Optional.of(participantId), Optional.empty());
  }

  /**
   * Whether this caller may act as participant {@code participantId}: a participant's credential
   * only as itself; any other caller (an operator, a workspace) as any participant it sees.
   */
  public boolean actsFor(String participantId) {
    return participant.map(p -> p.equals(participantId)).orElse(true);
  }

  /** Whether this caller may see (and act on) an object of {@code objectWorkspace}. */
  public boolean sees(String objectWorkspace) {
    return workspace.map(w -> w.equals(objectWorkspace)).orElse(true);
  }
}
