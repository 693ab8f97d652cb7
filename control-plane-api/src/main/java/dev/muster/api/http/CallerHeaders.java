package dev.muster.api.http;

/**
 * Who is calling, until tokens carry identity: {@code X-Muster-Workspace} confines a request to one
 * workspace (objects of another answer 404, like unknown ones) and {@code X-Muster-Actor} names who
 * acts (recorded in the events it causes).
 */
public final class CallerHeaders {
  public static final String WORKSPACE = "X-Muster-Workspace";
  public static final String ACTOR = "X-Muster-Actor";

  /** The actor recorded when a request names none. */
  public static final String DEFAULT_ACTOR = "operator";

  private CallerHeaders() {}
}
