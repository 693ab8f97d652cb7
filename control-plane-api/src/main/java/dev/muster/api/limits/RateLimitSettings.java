package dev.muster.api.limits;

import com.typesafe.config.Config;
import dev.muster.config.Settings;
import dev.muster.config.SettingsException;
import java.util.EnumMap;
import java.util.Map;

/**
 * The {@code muster.rate-limits.*} settings (reference.conf of this module), checked on load: a
 * bucket per subject and per workspace for every {@link ScopeClass}, one per client address for
 * tokens the node has not verified yet, and how many buckets a node keeps.
 */
record RateLimitSettings(
    boolean enabled,
    Map<ScopeClass, Limit> perSubject,
    Map<ScopeClass, Limit> perWorkspace,
    Limit newTokensPerAddress,
    int maxTracked) {

  /** A token bucket: at most {@code capacity} requests at once, refilled continuously. */
  record Limit(long capacity, long refillPerSecond) {}

  RateLimitSettings {
    perSubject = Map.copyOf(perSubject);
    perWorkspace = Map.copyOf(perWorkspace);
  }

  static RateLimitSettings from(Config config) {
    if (!config.hasPath("muster.rate-limits")) {
      throw new SettingsException(
          "rate-limits", "missing (is control-plane-api on the classpath?)");
    }
    Config muster = config.getConfig("muster");
    return new RateLimitSettings(
        Settings.read(muster, "rate-limits.enabled", muster::getBoolean),
        limits(muster, "rate-limits.per-subject."),
        limits(muster, "rate-limits.per-workspace."),
        limit(muster, "rate-limits.new-tokens-per-address."),
        Settings.positiveInt(muster, "rate-limits.max-tracked"));
  }

  private static Map<ScopeClass, Limit> limits(Config muster, String prefix) {
    Map<ScopeClass, Limit> limits = new EnumMap<>(ScopeClass.class);
    for (ScopeClass scopeClass : ScopeClass.values()) {
      limits.put(scopeClass, limit(muster, prefix + scopeClass.configName() + "."));
    }
    return limits;
  }

  private static Limit limit(Config muster, String path) {
    return new Limit(
        positiveLong(muster, path + "capacity"), positiveLong(muster, path + "refill-per-second"));
  }

  private static long positiveLong(Config muster, String path) {
    long value = Settings.read(muster, path, muster::getLong);
    if (value <= 0) {
      throw new SettingsException(path, "must be a positive number, got " + value);
    }
    return value;
  }
}
