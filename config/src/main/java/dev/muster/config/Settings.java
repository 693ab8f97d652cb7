package dev.muster.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.function.Function;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;
import org.apache.pekko.actor.typed.SupervisorStrategy;

/**
 * Loading and reading the {@code muster.*} configuration: reference.conf of every module, then
 * application.conf, then {@code -D} system properties; each module's reference.conf maps the
 * MUSTER_* environment variables. The readers here fail fast with the key and the expected value.
 */
public final class Settings {
  private Settings() {}

  /** The whole configuration (muster.* and pekko.*), resolved. */
  public static Config load() {
    try {
      return ConfigFactory.load();
    } catch (ConfigException e) {
      throw new SettingsException("Cannot read the configuration: " + e.getMessage(), e);
    }
  }

  /** Reads one value under {@code muster.}, turning Typesafe's exceptions into a clear message. */
  public static <T> T read(Config muster, String path, Function<String, T> reader) {
    try {
      return reader.apply(path);
    } catch (ConfigException.Missing e) {
      throw new SettingsException(path, "missing");
    } catch (ConfigException e) {
      throw new SettingsException(path, e.getMessage());
    }
  }

  public static String string(Config muster, String path) {
    return read(muster, path, muster::getString).trim();
  }

  public static int port(Config muster, String path) {
    int port = read(muster, path, muster::getInt);
    if (port < 0 || port > 65535) {
      throw new SettingsException(path, "a port must be between 0 and 65535, got " + port);
    }
    return port;
  }

  public static int positiveInt(Config muster, String path) {
    int value = read(muster, path, muster::getInt);
    if (value <= 0) {
      throw new SettingsException(path, "must be a positive number, got " + value);
    }
    return value;
  }

  public static long positiveBytes(Config muster, String path) {
    long value = read(muster, path, muster::getBytes);
    if (value <= 0) {
      throw new SettingsException(path, "must be a positive size, got " + value);
    }
    return value;
  }

  public static Duration positiveDuration(Config muster, String path) {
    Duration value = read(muster, path, muster::getDuration);
    if (value.isNegative() || value.isZero()) {
      throw new SettingsException(path, "must be a positive duration, got " + value);
    }
    return value;
  }

  /**
   * How an entity restarts after a failed journal write: {@code <prefix>min-backoff}, {@code
   * max-backoff} (not shorter) and {@code random-factor} (0 to 1), e.g. {@code
   * budget.persist-failure.}.
   */
  public static BackoffSupervisorStrategy restartWithBackoff(Config muster, String prefix) {
    Duration min = positiveDuration(muster, prefix + "min-backoff");
    Duration max = positiveDuration(muster, prefix + "max-backoff");
    if (max.compareTo(min) < 0) {
      throw new SettingsException(prefix + "max-backoff", "must not be shorter than min-backoff");
    }
    double factor = read(muster, prefix + "random-factor", muster::getDouble);
    if (factor < 0 || factor > 1) {
      throw new SettingsException(
          prefix + "random-factor", "must be between 0 and 1, got " + factor);
    }
    return SupervisorStrategy.restartWithBackoff(min, max, factor);
  }
}
