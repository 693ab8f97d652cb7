package dev.muster.api.fuzz;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * JSON kept as text, so that a request can carry anything a client may send: numbers of any length
 * or exponent, repeated keys, values that are not JSON at all. Objects and arrays hold their parts
 * in mutable lists: a generated body is built, changed in place by a mutation, then written.
 */
sealed interface JsonText {
  String text();

  /** A value written as given: a number, a literal, a quoted string, or something broken. */
  record Raw(String text) implements JsonText {}

  record Arr(List<JsonText> items) implements JsonText {
    @Override
    public String text() {
      return items.stream().map(JsonText::text).collect(Collectors.joining(",", "[", "]"));
    }
  }

  record Obj(List<Member> members) implements JsonText {
    @Override
    public String text() {
      return members.stream()
          .map(m -> quote(m.name()) + ":" + m.value().text())
          .collect(Collectors.joining(",", "{", "}"));
    }

    Obj with(String name, JsonText value) {
      members.add(new Member(name, value));
      return this;
    }

    /** Replaces the member {@code name} (or adds it), keeping the other members. */
    Obj replace(String name, String value) {
      members.removeIf(m -> m.name().equals(name));
      return with(name, value);
    }

    Obj with(String name, String value) {
      return with(name, str(value));
    }

    Obj with(String name, long value) {
      return with(name, raw(Long.toString(value)));
    }
  }

  record Member(String name, JsonText value) {}

  static Obj obj() {
    return new Obj(new ArrayList<>());
  }

  static Arr arr(JsonText... items) {
    return new Arr(new ArrayList<>(List.of(items)));
  }

  static Arr strings(String... values) {
    Arr arr = arr();
    for (String value : values) {
      arr.items().add(str(value));
    }
    return arr;
  }

  static Raw raw(String text) {
    return new Raw(text);
  }

  static Raw str(String value) {
    return new Raw(quote(value));
  }

  /**
   * A JSON string literal in ASCII: quotes, backslashes, control characters and everything beyond
   * ASCII as escapes, so even a lone surrogate is sent (as {@code \ud800}) exactly.
   */
  static String quote(String value) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : value.toCharArray()) {
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || c > 0x7e) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }

  /** Arrays nested {@code depth} deep: {@code [[[]]]}. */
  static Raw nestedArrays(int depth) {
    return raw("[".repeat(depth) + "]".repeat(depth));
  }

  /** Objects nested {@code depth} deep: {@code {"a":{"a":1}}}. */
  static Raw nestedObjects(int depth) {
    return raw("{\"a\":".repeat(depth) + "1" + "}".repeat(depth));
  }
}
