package dev.muster.api.participants;

import com.typesafe.config.Config;
import dev.muster.config.Settings;
import dev.muster.config.SettingsException;
import dev.muster.registry.RegistrySettings;
import java.time.Duration;

/**
 * Settings of the inbox's Server-Sent Events stream ({@code muster.http.inbox-stream} in
 * reference.conf): how often a heartbeat goes out on a quiet stream, and how long one read of the
 * inbox waits for a message.
 */
public record InboxStreamSettings(Duration heartbeatInterval, Duration pollWait) {

  /** Reads the settings; throws naming the first bad key. */
  public static InboxStreamSettings from(Config config, RegistrySettings registry) {
    Config muster = config.getConfig("muster");
    Duration heartbeat = Settings.positiveDuration(muster, "http.inbox-stream.heartbeat-interval");
    Duration pollWait = Settings.positiveDuration(muster, "http.inbox-stream.poll-wait");
    if (pollWait.compareTo(registry.inbox().maxPollWait()) > 0) {
      throw new SettingsException(
          "http.inbox-stream.poll-wait",
          "must not exceed muster.registry.inbox.max-poll-wait ("
              + registry.inbox().maxPollWait()
              + "), got "
              + pollWait);
    }
    return new InboxStreamSettings(heartbeat, pollWait);
  }
}
