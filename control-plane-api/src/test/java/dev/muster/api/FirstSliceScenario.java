package dev.muster.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import dev.muster.api.ApiClient.Response;
import dev.muster.testing.TestDatabase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first vertical slice over real HTTP against a real node: a participant registers, a mission
 * is submitted while the worker long-polls, the offer arrives, is acked and completed, the mission
 * succeeds with its decisions; then the node is stopped and started again on the same database and
 * everything is still there. Run on H2 and on PostgreSQL.
 */
abstract class FirstSliceScenario {

  abstract TestDatabase database(Path dataDir);

  @Test
  void aMissionRunsEndToEndAndSurvivesARestart(@TempDir Path dataDir) throws Exception {
    try (TestDatabase database = database(dataDir)) {
      Config config = TestNodes.singleNode(database);
      String participantId;
      String missionId;
      try (MusterApplication node = MusterApplication.start(config)) {
        ApiClient api = new ApiClient(node.httpAddress());

        Response registered =
            api.post(
                "/api/v1/participants",
                "{\"workspace\":\"ws-1\",\"capabilities\":[\"code\"],\"roles\":[\"worker\"]}");
        assertEquals(201, registered.status(), registered.body().toString());
        participantId = registered.body().get("id").asText();
        assertEquals("ws-1", registered.body().get("workspace").asText());
        assertEquals("active", registered.body().get("status").asText());

        CompletableFuture<Response> poll =
            api.getAsync("/api/v1/participants/" + participantId + "/inbox?wait=20s");

        Response submitted =
            api.post(
                "/api/v1/missions",
                "{\"workspace\":\"ws-1\",\"title\":\"t\",\"required_capabilities\":[\"code\"],"
                    + "\"input\":{\"repo\":\"muster\"}}");
        assertTrue(
            submitted.status() == 201 || submitted.status() == 202, submitted.body().toString());
        missionId = submitted.body().get("id").asText();

        Response delivered = poll.get(30, TimeUnit.SECONDS);
        assertEquals(200, delivered.status(), delivered.body().toString());
        JsonNode offer = delivered.body().get("messages").get(0);
        assertEquals("task_offer", offer.get("type").asText());
        assertEquals(missionId, offer.get("mission_id").asText());
        assertEquals(1, offer.get("attempt").asInt());
        assertEquals("muster", offer.get("payload").get("input").get("repo").asText());

        Response acked =
            api.post(
                "/api/v1/participants/"
                    + participantId
                    + "/inbox/"
                    + offer.get("message_id").asText()
                    + "/ack",
                "");
        assertEquals(200, acked.status(), acked.body().toString());

        Response completed =
            api.post(
                "/api/v1/missions/" + missionId + "/attempts/1/complete",
                "{\"result\":{\"answer\":42}}");
        assertEquals(200, completed.status(), completed.body().toString());

        assertSucceeded(api.get("/api/v1/missions/" + missionId), participantId);

        Response empty = api.get("/api/v1/participants/" + participantId + "/inbox");
        assertEquals(
            0, empty.body().get("messages").size(), "an acked offer is not delivered again");
      }

      try (MusterApplication restarted = MusterApplication.start(config)) {
        ApiClient api = new ApiClient(restarted.httpAddress());
        assertSucceeded(api.get("/api/v1/missions/" + missionId), participantId);
        Response participant = api.get("/api/v1/participants/" + participantId);
        assertEquals(200, participant.status());
        assertEquals("active", participant.body().get("status").asText());
      }
    }
  }

  private static void assertSucceeded(Response mission, String participantId) {
    assertEquals(200, mission.status(), mission.body().toString());
    JsonNode body = mission.body();
    assertEquals("succeeded", body.get("state").asText());
    assertEquals(42, body.get("result").get("answer").asInt());
    JsonNode attempt = body.get("attempts").get(0);
    assertEquals(1, attempt.get("attempt").asInt());
    assertEquals(participantId, attempt.get("participant_id").asText());
    assertEquals("succeeded", attempt.get("state").asText());
    List<String> decisions = new ArrayList<>();
    for (JsonNode decision : body.get("decisions")) {
      decisions.add(decision.get("decision").asText());
      assertFalse(decision.get("reason").asText().isBlank(), "every decision has a reason");
    }
    assertEquals(List.of("proceed", "complete"), decisions);
  }
}
