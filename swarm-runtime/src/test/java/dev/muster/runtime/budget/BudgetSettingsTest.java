package dev.muster.runtime.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.muster.config.SettingsException;
import dev.muster.runtime.node.RuntimeSettings;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BudgetSettingsTest {

  @Test
  void theDefaultsLoad() {
    var config = ConfigFactory.load();
    BudgetSettings budget = BudgetSettings.from(config);
    assertEquals(200, budget.ledgerInState());
    assertEquals(10_000, budget.rememberSettledKeys());
    RuntimeSettings runtime = RuntimeSettings.from(config);
    assertEquals(Duration.ofMillis(500), runtime.heartbeatInterval());
    assertEquals(Duration.ofMillis(1500), runtime.acceptableHeartbeatPause());
    assertEquals(Duration.ofSeconds(1), runtime.stableAfter());
    assertEquals(0, runtime.shardingCoordinatorWriteMajorityPlus());
  }

  @Test
  void aBadValueIsRefusedWithItsKey() {
    SettingsException refused =
        assertThrows(
            SettingsException.class,
            () ->
                BudgetSettings.from(
                    ConfigFactory.parseString("muster.budget.ledger-in-state = 0")
                        .withFallback(ConfigFactory.load())));
    assertTrue(refused.getMessage().contains("budget.ledger-in-state"), refused.getMessage());
    SettingsException negative =
        assertThrows(
            SettingsException.class,
            () ->
                RuntimeSettings.from(
                    ConfigFactory.parseString(
                            "muster.cluster.sharding-coordinator-write-majority-plus = -1")
                        .withFallback(ConfigFactory.load())));
    assertTrue(negative.getMessage().contains("write-majority-plus"), negative.getMessage());
  }
}
