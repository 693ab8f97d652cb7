package dev.muster.config;

import org.apache.pekko.pattern.StatusReply;

/**
 * Why an entity refused a command: a stable machine-readable code and a message for people. It
 * travels inside {@link StatusReply#error(String)} as {@code "<code>: <message>"} so it crosses the
 * cluster as plain text; the HTTP layer turns the code into a status.
 */
public record Rejection(String code, String message) {
  public static final String NOT_FOUND = "not_found";
  public static final String CONFLICT = "conflict";
  public static final String INVALID = "invalid_request";

  public static Rejection of(String code, String message) {
    return new Rejection(code, message);
  }

  /** A rejected command's reply. */
  public static <T> StatusReply<T> reply(String code, String message) {
    return StatusReply.error(code + ": " + message);
  }

  /** Reads back what {@link #reply} wrote; text without a code is an internal error. */
  public static Rejection parse(String text) {
    int colon = text.indexOf(": ");
    if (colon > 0 && text.substring(0, colon).matches("[a-z_]+")) {
      return new Rejection(text.substring(0, colon), text.substring(colon + 2));
    }
    return new Rejection("internal_error", text);
  }
}
