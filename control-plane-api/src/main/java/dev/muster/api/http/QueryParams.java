package dev.muster.api.http;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and checks query parameters; a bad value throws {@link ApiException} 400 {@code
 * invalid_request} naming the parameter. Use it inside {@code parameterOptional}:
 *
 * <pre>{@code
 * parameterOptional("wait", wait -> parameterOptional("limit", limit ->
 *     poll(query.waitDuration(wait), query.limit(limit))))
 * }</pre>
 */
public final class QueryParams {
  /**
   * A whole number with an optional unit: {@code 20s}, {@code 500ms}, {@code 2m}, or {@code 20}.
   */
  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m)?");

  private static final Pattern INTEGER = Pattern.compile("-?\\d{1,10}");

  private final Duration maxWait;
  private final Duration defaultWait;
  private final int maxPageSize;
  private final int defaultPageSize;

  public QueryParams(HttpSettings settings) {
    this.maxWait = settings.maxLongPollWait();
    this.defaultWait = settings.defaultLongPollWait();
    this.maxPageSize = settings.maxPageSize();
    this.defaultPageSize = settings.defaultPageSize();
  }

  /**
   * The long-poll wait {@code ?wait=} asks for: {@code 20s}, {@code 500ms}, {@code 2m}, or a bare
   * number of seconds; absent (null or empty) means the default wait. Negative, malformed, or above
   * {@code muster.http.max-long-poll-wait} is a 400.
   */
  public Duration waitDuration(String text) {
    if (text == null || text.isBlank()) {
      return defaultWait;
    }
    String trimmed = text.trim();
    if (trimmed.startsWith("-")) {
      throw ApiException.invalid("query parameter 'wait' must not be negative, got '" + text + "'");
    }
    Matcher matcher = DURATION.matcher(trimmed);
    if (!matcher.matches()) {
      throw ApiException.invalid(
          "query parameter 'wait' must be a duration like 20s, 500ms or 2m, or a number of"
              + " seconds, got '"
              + text
              + "'");
    }
    long amount = Long.parseLong(matcher.group(1));
    String unit = matcher.group(2) == null ? "s" : matcher.group(2);
    Duration wait =
        switch (unit) {
          case "ms" -> Duration.ofMillis(amount);
          case "m" -> Duration.ofMinutes(amount);
          default -> Duration.ofSeconds(amount);
        };
    if (wait.compareTo(maxWait) > 0) {
      throw ApiException.invalid(
          "query parameter 'wait' must be at most " + describe(maxWait) + ", got '" + text + "'");
    }
    return wait;
  }

  /** {@link #waitDuration(String)} for {@code parameterOptional("wait", ...)}. */
  public Duration waitDuration(Optional<String> text) {
    return waitDuration(text.orElse(null));
  }

  /** The page size {@code ?limit=} asks for, 1 to max-page-size; absent means the default size. */
  public int limit(String text) {
    if (text == null || text.isBlank()) {
      return defaultPageSize;
    }
    int limit = positiveInt("limit", text);
    if (limit > maxPageSize) {
      throw ApiException.invalid(
          "query parameter 'limit' must be at most " + maxPageSize + ", got " + limit);
    }
    return limit;
  }

  /** {@link #limit(String)} for {@code parameterOptional("limit", ...)}. */
  public int limit(Optional<String> text) {
    return limit(text.orElse(null));
  }

  /** A whole number of at least 1; anything else is a 400 naming {@code name}. */
  public static int positiveInt(String name, String text) {
    String trimmed = text == null ? "" : text.trim();
    long value;
    if (!INTEGER.matcher(trimmed).matches()
        || (value = Long.parseLong(trimmed)) > Integer.MAX_VALUE) {
      throw ApiException.invalid(
          "query parameter '" + name + "' must be a whole number, got '" + text + "'");
    }
    if (value < 1) {
      throw ApiException.invalid("query parameter '" + name + "' must be at least 1, got " + value);
    }
    return (int) value;
  }

  /** The value of parameter {@code name} in {@code query}; absent or blank is none. */
  public static Optional<String> given(Map<String, String> query, String name) {
    return Optional.ofNullable(query.get(name)).filter(value -> !value.isBlank());
  }

  /** {@link #positiveInt(String, String)} of an optional parameter. */
  public static Optional<Integer> positiveInt(String name, Optional<String> text) {
    return text.map(value -> positiveInt(name, value));
  }

  private static String describe(Duration duration) {
    if (duration.toMillis() % 1000 != 0) {
      return duration.toMillis() + "ms";
    }
    return duration.toSeconds() + "s";
  }
}
