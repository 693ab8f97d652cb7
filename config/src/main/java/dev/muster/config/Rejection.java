package dev.muster.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.apache.pekko.pattern.StatusReply;

/**
 * Why a command was refused: a stable machine-readable {@link Code} and a message for people. An
 * entity answers a refused command with {@link #reply()}, a {@link StatusReply} whose error is a
 * {@link Refusal} carrying this value across the cluster (bound to {@link RefusalSerializer}); the
 * HTTP layer maps the code to a status. No text is parsed back.
 */
public record Rejection(Code code, String message) {

  /** The refusals the API knows; each maps to one HTTP status in the API's error mapper. */
  public enum Code {
    INVALID_REQUEST,
    NOT_FOUND,
    FORBIDDEN,
    CONFLICT,
    /** A worker's call about an attempt that is no longer its to run: it must stand down. */
    STALE_ATTEMPT,
    /** The command would need a transition the mission's table forbids. */
    ILLEGAL_TRANSITION,
    ALREADY_RESOLVED,
    /** An inbox refused a task offer: too many messages are pending. */
    INBOX_FULL,
    /** An ack for a message an inbox does not know (or has forgotten). */
    UNKNOWN_MESSAGE,
    /** Something the command needs did not answer in time; the same command may be retried. */
    UNAVAILABLE,
    /** The entity failed to handle the command; it still serves its state. */
    INTERNAL_ERROR;

    @JsonValue
    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static Code ofWire(String text) {
      return valueOf(text.toUpperCase(Locale.ROOT));
    }
  }

  public static Rejection of(Code code, String message) {
    return new Rejection(code, message);
  }

  public static Rejection invalid(String message) {
    return new Rejection(Code.INVALID_REQUEST, message);
  }

  public static Rejection notFound(String message) {
    return new Rejection(Code.NOT_FOUND, message);
  }

  public static Rejection conflict(String message) {
    return new Rejection(Code.CONFLICT, message);
  }

  /** This refusal as a command's reply. */
  public <T> StatusReply<T> reply() {
    return StatusReply.error(new Refusal(this));
  }

  /**
   * The rejection a failed ask was refused with (through any {@link CompletionException} wrapping
   * it), or empty when the ask failed otherwise (a timeout, a lost node).
   */
  public static Optional<Rejection> of(Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause instanceof Refusal refusal ? Optional.of(refusal.rejection()) : Optional.empty();
  }

  /** {@code code: message}, for logs. */
  @Override
  public String toString() {
    return code.wire() + ": " + message;
  }

  /** The error of a refused command's {@link StatusReply}: a {@link Rejection} as an exception. */
  public static final class Refusal extends RuntimeException {
    private final Rejection rejection;

    public Refusal(Rejection rejection) {
      super(rejection.toString(), null, false, false);
      this.rejection = rejection;
    }

    public Rejection rejection() {
      return rejection;
    }

    /** Equal when the rejections are: a refusal read back from the wire equals the one sent. */
    @Override
    public boolean equals(Object other) {
      return other instanceof Refusal refusal && refusal.rejection.equals(rejection);
    }

    @Override
    public int hashCode() {
      return rejection.hashCode();
    }
  }
}
