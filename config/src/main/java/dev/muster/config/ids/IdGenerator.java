package dev.muster.config.ids;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.UUID;

/**
 * Makes opaque ids with a readable prefix ({@code p-…}, {@code m-…}); injected so tests can fix
 * them.
 */
@FunctionalInterface
public interface IdGenerator {
  String next(String prefix);

  /**
   * The id of the object a request creates: the one its {@code Idempotency-Key} names ({@link
   * #forKey}), or a new one when it has none.
   */
  default String forRequest(Optional<String> key, String prefix, String kind, String workspace) {
    return key.map(k -> forKey(prefix, kind, workspace, k)).orElseGet(() -> next(prefix));
  }

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
