package dev.muster.api.http;

import static org.apache.pekko.http.javadsl.server.Directives.optionalHeaderValueByName;

import dev.muster.config.Caller;
import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The one place where a request's {@link Caller} is known. Until tokens carry identity, two headers
 * stand in for them: {@code X-Muster-Workspace} confines the request to one workspace (objects of
 * another answer 404, like unknown ones) and {@code X-Muster-Actor} names who acts (recorded in the
 * events the request causes; "operator" when absent). The identity work replaces this directive's
 * body with the token's subject and claims; no route reads these headers itself.
 */
public final class Callers {
  public static final String WORKSPACE = "X-Muster-Workspace";
  public static final String ACTOR = "X-Muster-Actor";

  private Callers() {}

  /** The request's caller, handed to {@code inner}. */
  public static Route caller(Function<Caller, Route> inner) {
    return optionalHeaderValueByName(
        WORKSPACE,
        workspace ->
            optionalHeaderValueByName(
                ACTOR,
                actor ->
                    inner.apply(
                        new Caller(
                            workspace.map(Callers::workspace),
                            nonBlank(actor)
                                .map(a -> Fields.name(ACTOR, a))
                                .orElse(Caller.DEFAULT_ACTOR)))));
  }

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

  /** A blank header is refused, not read as no confinement: it fails closed. */
  private static String workspace(String header) {
    if (header.isBlank()) {
      throw ApiException.invalid(
          WORKSPACE + " is blank: name a workspace, or leave the header out");
    }
    return Fields.name(WORKSPACE, header.trim());
  }

  private static Optional<String> nonBlank(Optional<String> value) {
    return value.map(String::trim).filter(v -> !v.isEmpty());
  }
}
