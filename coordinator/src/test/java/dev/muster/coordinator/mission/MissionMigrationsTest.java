package dev.muster.coordinator.mission;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.muster.config.money.Amount;
import dev.muster.coordinator.model.MissionState;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Mission events as releases before exact amounts wrote them (a cost or estimate as a CBOR float, a
 * manifest without a version) read back through the journal's own serializer, whatever the value:
 * the nearest amount, never a failure.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MissionMigrationsTest {
  private static final Instant T = Instant.parse("2026-11-29T12:00:00Z");
  private final ActorTestKit testKit = ActorTestKit.create();
  private final Serialization serialization =
      SerializationExtension.get(testKit.system().classicSystem());
  private final ObjectMapper cbor =
      JacksonObjectMapperProvider.get(testKit.system())
          .getOrCreate("jackson-cbor", Optional.empty());

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
  }

  /** Reads {@code fields}, written as CBOR by an older release, as {@code type}. */
  private Object readOld(Map<String, Object> fields, Class<?> type) throws Exception {
    byte[] bytes = cbor.writeValueAsBytes(fields);
    var serializer = serialization.serializerFor(type);
    return serialization.deserialize(bytes, serializer.identifier(), type.getName()).get();
  }

  @ParameterizedTest(name = "a recorded cost of {0} reads as {1}")
  @CsvSource({"2.5, 2.5", "0.30000000000000004, 0.3", "1e300, 999999999999.999999", "1e-7, 0"})
  void oldCostsReadBack(double recorded, String expected) throws Exception {
    Map<String, Object> heartbeat = new LinkedHashMap<>();
    heartbeat.put("attempt", 1);
    heartbeat.put("progress", 0.5);
    heartbeat.put("cost", recorded);
    heartbeat.put("at", T);
    Mission.HeartbeatRecorded read =
        (Mission.HeartbeatRecorded) readOld(heartbeat, Mission.HeartbeatRecorded.class);
    assertEquals(Optional.of(Amount.parse(new java.math.BigDecimal(expected))), read.cost());

    Map<String, Object> succeeded = new LinkedHashMap<>(heartbeat);
    succeeded.remove("progress");
    succeeded.put("result", Map.of("ok", true));
    Mission.AttemptSucceeded done =
        (Mission.AttemptSucceeded) readOld(succeeded, Mission.AttemptSucceeded.class);
    assertEquals(read.cost(), done.cost());
  }

  @ParameterizedTest(name = "a recorded estimate of {0} reads as {1} micros")
  @CsvSource({"5, 5000000", "0.1234567, 123457", "1e-7, 1", "1e300, 999999999999999999"})
  void oldEstimatesReadBackAsAtLeastOneMicro(double recorded, long micros) throws Exception {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("workspace", "ws-1");
    spec.put("title", "old");
    spec.put("requiredCapabilities", List.of("code"));
    spec.put("requiredRoles", List.of());
    spec.put("input", Map.of());
    spec.put(
        "retryPolicy",
        Map.of(
            "maxAttempts", 3,
            "initialBackoffMs", 1000,
            "multiplier", 2.0,
            "maxBackoffMs", 60000,
            "retryableErrorKinds", List.of()));
    spec.put(
        "timeouts",
        Map.of("scheduleToStartMs", 60000, "startToCloseMs", 3600000, "heartbeatMs", 30000));
    spec.put("budget", Map.of("scope", "b", "estimate", recorded));
    spec.put("approvalRequired", false);
    Map<String, Object> submitted = Map.of("missionId", "m-old", "spec", spec, "at", T);
    Mission.MissionSubmitted read =
        (Mission.MissionSubmitted) readOld(submitted, Mission.MissionSubmitted.class);
    assertEquals(micros, read.spec().budget().orElseThrow().estimate().micros());
    assertEquals(0, read.spec().priority(), "no priority then: the default");
    assertEquals(Optional.empty(), read.spec().timeouts().maxQueueMs());
    MissionState state = MissionState.submitted("m-old", read.spec(), T);
    assertEquals(Optional.empty(), state.spec().split());
  }
}
