package dev.muster.config.ids;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Makes opaque ids with a readable prefix ({@code p-…}, {@code m-…}); injected so tests can fix
 * them.
 */
@FunctionalInterface
public interface IdGenerator {
  String next(String prefix);

  static IdGenerator random() {
    return prefix -> prefix + "-" + UUID.randomUUID();
  }

  /**
   * The id an {@code Idempotency-Key} names: the same key in the same workspace always names the
   * same {@code kind} of object, so a retried request finds what the first one created.
   */
  static String forKey(String prefix, String kind, String workspace, String key) {
    return prefix
        + "-"
        + UUID.nameUUIDFromBytes(
            (kind + "\n" + workspace + "\n" + key).getBytes(StandardCharsets.UTF_8));
  }
}
