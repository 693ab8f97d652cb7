package dev.muster.config;

import java.util.Optional;

/**
 * Who asks for a change or a read: the workspace the request is confined to (empty: it may reach
 * every workspace) and who acts (recorded in the events it causes). The HTTP layer makes one per
 * request in one place; entities check it against their own workspace, so an object of another
 * workspace answers exactly like one that does not exist.
 */
public record Caller(Optional<String> workspace, String actor) implements CborSerializable {
  /** Who acts when a request names nobody. */
  public static final String DEFAULT_ACTOR = "operator";

  /** Muster itself (a mission acting on its children, the dispatcher): every workspace. */
  public static final Caller SYSTEM = new Caller(Optional.empty(), "coordinator");

  public Caller {
    workspace = workspace == null ? Optional.empty() : workspace;
    actor = actor == null || actor.isBlank() ? DEFAULT_ACTOR : actor;
  }

  /** A caller that may reach every workspace. */
  public static Caller unconfined(String actor) {
    return new Caller(Optional.empty(), actor);
  }

  /** A caller confined to {@code workspace}. */
  public static Caller in(String workspace, String actor) {
    return new Caller(Optional.of(workspace), actor);
  }

  /** Whether this caller may see (and act on) an object of {@code objectWorkspace}. */
  public boolean sees(String objectWorkspace) {
    return workspace.map(w -> w.equals(objectWorkspace)).orElse(true);
  }
}
