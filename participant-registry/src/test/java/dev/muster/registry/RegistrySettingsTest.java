package dev.muster.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.config.SettingsException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RegistrySettingsTest {

  @Test
  void readsTheDefaults() {
    RegistrySettings settings = RegistryTestConfig.settings();
    assertEquals(Duration.ofSeconds(30), settings.livenessWindow());
    assertEquals(Duration.ofSeconds(30), settings.inbox().lease());
    assertEquals(1000, settings.inbox().maxPending());
    assertEquals("jdbc-read-journal", settings.index().readJournal());
  }

  @Test
  void failsFastOnAHeartbeatIntervalNotShorterThanTheWindow() {
    SettingsException e =
        assertThrows(
            SettingsException.class,
            () -> RegistryTestConfig.settings("heartbeat-record-interval = 30s"));
    assertTrue(e.getMessage().contains("muster.registry.heartbeat-record-interval"));
  }

  @Test
  void failsFastOnNonPositiveSizes() {
    SettingsException e =
        assertThrows(
            SettingsException.class, () -> RegistryTestConfig.settings("inbox.max-pending = 0"));
    assertTrue(e.getMessage().contains("muster.registry.inbox.max-pending"));
  }

  @Test
  void failsFastOnARandomFactorOutOfRange() {
    assertThrows(
        SettingsException.class,
        () -> RegistryTestConfig.settings("persist-failure.random-factor = 2"));
  }
}
