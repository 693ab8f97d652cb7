package dev.muster.api.http;

import com.typesafe.config.Config;
import dev.muster.config.Settings;
import dev.muster.config.SettingsException;
import java.time.Duration;

/** The HTTP API's settings ({@code muster.http} in reference.conf), checked when they are read. */
public record HttpSettings(
    String host,
    int port,
    long maxBodySize,
    Duration askTimeout,
    Duration maxLongPollWait,
    Duration defaultLongPollWait,
    int maxPageSize,
    int defaultPageSize,
    Duration requestTimeout,
    Duration healthCheckTimeout,
    Duration terminationDeadline) {

  /** Reads {@code muster.http} from the whole configuration; throws naming the first bad key. */
  public static HttpSettings from(Config config) {
    Config muster = config.getConfig("muster");
    String host = Settings.string(muster, "http.host");
    if (host.isEmpty()) {
      throw new SettingsException("http.host", "must not be empty");
    }
    Duration askTimeout = Settings.positiveDuration(muster, "http.ask-timeout");
    Duration maxWait = Settings.positiveDuration(muster, "http.max-long-poll-wait");
    Duration defaultWait =
        Settings.read(muster, "http.default-long-poll-wait", muster::getDuration);
    if (defaultWait.isNegative() || defaultWait.compareTo(maxWait) > 0) {
      throw new SettingsException(
          "http.default-long-poll-wait",
          "must be between 0s and max-long-poll-wait (" + maxWait + "), got " + defaultWait);
    }
    int maxPage = Settings.positiveInt(muster, "http.max-page-size");
    int defaultPage = Settings.positiveInt(muster, "http.default-page-size");
    if (defaultPage > maxPage) {
      throw new SettingsException(
          "http.default-page-size",
          "must not exceed max-page-size (" + maxPage + "), got " + defaultPage);
    }
    Duration requestTimeout = Settings.positiveDuration(muster, "http.request-timeout");
    if (requestTimeout.compareTo(maxWait.plus(askTimeout)) <= 0) {
      throw new SettingsException(
          "http.request-timeout",
          "must be longer than max-long-poll-wait plus ask-timeout ("
              + maxWait.plus(askTimeout)
              + "), got "
              + requestTimeout);
    }
    return new HttpSettings(
        host,
        Settings.port(muster, "http.port"),
        Settings.positiveBytes(muster, "http.max-body-size"),
        askTimeout,
        maxWait,
        defaultWait,
        maxPage,
        defaultPage,
        requestTimeout,
        Settings.positiveDuration(muster, "http.health-check-timeout"),
        Settings.positiveDuration(muster, "http.termination-deadline"));
  }
}
