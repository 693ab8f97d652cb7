package dev.muster.api.http;

import dev.muster.config.Caller;
import java.util.Optional;

/**
 * How a list is confined to the caller's workspace. Who the caller is comes from its token, in one
 * place ({@link dev.muster.api.access.Access}); routes only hand the {@link Caller} on.
 */
public final class Callers {
  private Callers() {}

  /**
   * The workspace a list shows: the caller's own when it is confined (asking for another is
   * refused, 403), else the one asked for, if any.
   */
  public static Optional<String> listScope(Caller caller, Optional<String> asked) {
    if (caller.workspace().isPresent()
        && asked.filter(a -> !a.equals(caller.workspace().get())).isPresent()) {
      throw ApiException.forbidden("workspace " + asked.get() + " is not the caller's workspace");
    }
    return caller.workspace().or(() -> asked);
  }
}
