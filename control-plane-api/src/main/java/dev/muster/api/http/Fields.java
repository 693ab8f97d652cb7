package dev.muster.api.http;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The checks of text a request carries, the same on every route. A name (an id, a workspace, a
 * capability, a role, a scope) is 1 to {@value #MAX_NAME} characters without control characters;
 * free text (a title, a note, a reason) is at most {@value #MAX_TEXT} characters without a NUL. A
 * value that fails is a 400 naming the field; an id in a path that fails cannot exist, so it is a
 * 404.
 */
public final class Fields {
  public static final int MAX_NAME = 200;
  public static final int MAX_TEXT = 2000;
  public static final int MAX_NAMES = 100;

  private Fields() {}

  /** A required name. */
  private static final Pattern SCOPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}");

  /**
   * A budget scope ({@code ws-1}, {@code mission:m-1}, ...): 1 to 200 letters, digits and {@code .
   * _ : @ -}, starting with a letter or digit; the same rule wherever a scope is named (the budget
   * routes' path, a mission's budget, a participant's boundaries), so that a scope a mission names
   * is one a budget can be set for.
   */
  public static String budgetScope(String field, String value) {
    if (value == null || !SCOPE.matcher(value).matches()) {
      throw ApiException.invalid(
          field
              + " must be 1 to 200 letters, digits and . _ : @ - (starting with a letter or"
              + " digit), got '"
              + value
              + "'");
    }
    return value;
  }

  public static String name(String field, String value) {
    if (value == null || value.isBlank()) {
      throw ApiException.invalid(field + " is required");
    }
    if (value.length() > MAX_NAME) {
      throw ApiException.invalid(field + " is longer than " + MAX_NAME + " characters");
    }
    if (value.chars().anyMatch(Character::isISOControl)) {
      throw ApiException.invalid(field + " must not contain control characters");
    }
    return value;
  }

  /** A name when given (absent stays absent; given blank is refused). */
  public static Optional<String> optionalName(String field, String value) {
    return value == null ? Optional.empty() : Optional.of(name(field, value));
  }

  /** A list of names, at most {@value #MAX_NAMES}, as a sorted set; absent is empty. */
  public static Set<String> names(String field, List<String> values) {
    if (values == null) {
      return Set.of();
    }
    if (values.size() > MAX_NAMES) {
      throw ApiException.invalid(field + " has more than " + MAX_NAMES + " entries");
    }
    Set<String> names = new TreeSet<>();
    for (String value : values) {
      names.add(name(field + " entries", value));
    }
    return names;
  }

  /** Free text; absent or blank is {@code ""} unless {@code required}. */
  public static String text(String field, String value, boolean required) {
    if (value == null || value.isBlank()) {
      if (required) {
        throw ApiException.invalid(field + " is required");
      }
      return "";
    }
    if (value.length() > MAX_TEXT) {
      throw ApiException.invalid(field + " is longer than " + MAX_TEXT + " characters");
    }
    if (value.indexOf('\0') >= 0) {
      throw ApiException.invalid(field + " must not contain a NUL character");
    }
    return value;
  }

  /** An id from a path: one that cannot be a name cannot exist (404 naming {@code kind}). */
  public static String id(String kind, String value) {
    if (value.isEmpty()
        || value.length() > MAX_NAME
        || value.chars().anyMatch(Character::isISOControl)) {
      throw ApiException.notFound(kind + " does not exist");
    }
    return value;
  }
}
