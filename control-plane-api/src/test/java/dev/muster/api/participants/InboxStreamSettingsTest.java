package dev.muster.api.participants;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.muster.config.SettingsException;
import dev.muster.registry.RegistrySettings;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class InboxStreamSettingsTest {

  private static InboxStreamSettings read(String override) {
    Config config =
        ConfigFactory.parseString(override).withFallback(ConfigFactory.load()).resolve();
    return InboxStreamSettings.from(config, RegistrySettings.from(config));
  }

  @Test
  void readsTheDefaults() {
    InboxStreamSettings settings = read("");
    assertEquals(Duration.ofSeconds(15), settings.heartbeatInterval());
    assertEquals(Duration.ofSeconds(20), settings.pollWait());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "muster.http.inbox-stream.heartbeat-interval = 0s | http.inbox-stream.heartbeat-interval",
        "muster.http.inbox-stream.poll-wait = -1s         | http.inbox-stream.poll-wait",
        "muster.http.inbox-stream.poll-wait = 2m          | http.inbox-stream.poll-wait",
        "muster.http.inbox-stream.poll-wait = soon        | http.inbox-stream.poll-wait"
      })
  void failsFastNamingTheKey(String override, String key) {
    SettingsException e = assertThrows(SettingsException.class, () -> read(override));
    assertTrue(e.getMessage().contains(key), e.getMessage());
  }
}
