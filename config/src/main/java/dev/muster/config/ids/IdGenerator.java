package dev.muster.config.ids;

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
}
