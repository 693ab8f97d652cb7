package dev.muster.registry;

import java.util.Collection;
import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

/**
 * Roles and capabilities as immutable sets in sorted order, so views, events and snapshots list
 * them the same way every time. A {@code null} name becomes {@code ""}, which validation rejects.
 */
public final class NameSet {
  private NameSet() {}

  public static Set<String> of(Collection<String> names) {
    TreeSet<String> sorted = new TreeSet<>();
    if (names != null) {
      for (String name : names) {
        sorted.add(name == null ? "" : name);
      }
    }
    return Collections.unmodifiableSortedSet(sorted);
  }

  /** True when one of the names is blank. */
  public static boolean hasBlank(Set<String> names) {
    return names.stream().anyMatch(String::isBlank);
  }
}
