package dev.muster.coordinator.mission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.muster.config.money.Amount;
import org.apache.pekko.serialization.jackson.JacksonMigration;

/**
 * How mission events written by older releases read back (bound in this module's reference.conf).
 * Before version 2 a mission's money was a binary floating-point number: a budget estimate, a cost.
 * Version 2 keeps it exact ({@link Amount}, micros in the journal). An old value becomes the
 * nearest amount ({@link Amount#ofRecorded}): never refused, so every old event reads back, even
 * the values (1e300, 1e-7, 0.30000000000000004) that those releases accepted and then failed on.
 */
public final class MissionMigrations {
  private MissionMigrations() {}

  /** {@code MissionSubmitted}: {@code spec.budget.estimate}, at least one micro. */
  public static final class BudgetEstimate extends JacksonMigration {
    @Override
    public int currentVersion() {
      return 2;
    }

    @Override
    public JsonNode transform(int fromVersion, JsonNode json) {
      JsonNode budget = json.path("spec").path("budget");
      if (fromVersion < 2 && budget instanceof ObjectNode b && b.path("estimate").isNumber()) {
        Amount estimate = Amount.ofRecorded(b.get("estimate").asDouble());
        b.put("estimate", Math.max(1, estimate.micros()));
      }
      return json;
    }
  }

  /** {@code HeartbeatRecorded}, {@code AttemptSucceeded}, {@code AttemptFailed}: {@code cost}. */
  public static final class Cost extends JacksonMigration {
    @Override
    public int currentVersion() {
      return 2;
    }

    @Override
    public JsonNode transform(int fromVersion, JsonNode json) {
      if (fromVersion < 2 && json instanceof ObjectNode event && json.path("cost").isNumber()) {
        event.put("cost", Amount.ofRecorded(json.get("cost").asDouble()).micros());
      }
      return json;
    }
  }
}
