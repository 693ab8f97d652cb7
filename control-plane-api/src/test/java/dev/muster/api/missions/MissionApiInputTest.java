package dev.muster.api.missions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.api.ApiClient;
import dev.muster.api.ApiClient.Response;
import dev.muster.api.MusterApplication;
import dev.muster.api.TestAuth;
import dev.muster.api.TestNodes;
import dev.muster.testing.Eventually;
import dev.muster.testing.TestDatabase;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad input to the mission API gets a clear 4xx with a code, never a 5xx, and changes nothing. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MissionApiInputTest {
  private static final String OK =
      "{\"workspace\":\"ws-1\",\"title\":\"t\",\"required_capabilities\":[\"code\"]";

  private Path dataDir;
  private TestDatabase database;
  private MusterApplication node;
  private ApiClient api;
  private String missionId;

  @BeforeAll
  void start() throws Exception {
    dataDir = Files.createTempDirectory("muster-input");
    database = TestDatabase.h2(dataDir);
    node = MusterApplication.start(TestNodes.singleNode(database));
    api = new ApiClient(node.httpAddress());
    missionId = api.post("/api/v1/missions", OK + "}").body().get("id").asText();
  }

  @AfterAll
  void stop() throws Exception {
    node.close();
    database.close();
  }

  static Stream<Arguments> badSubmissions() {
    return Stream.of(
        Arguments.of("{\"title\":\"t\"}", "workspace is required"),
        Arguments.of(OK + ",\"colour\":\"red\"}", "colour"),
        Arguments.of(OK + ",\"retry_policy\":{\"max_attempts\":0}}", "max_attempts"),
        Arguments.of(OK + ",\"retry_policy\":{\"initial_backoff_ms\":-5}}", "initial_backoff_ms"),
        Arguments.of(OK + ",\"retry_policy\":{\"multiplier\":0.5}}", "multiplier"),
        Arguments.of(OK + ",\"timeouts\":{\"heartbeat_ms\":0}}", "heartbeat_ms"),
        Arguments.of(OK + ",\"timeouts\":{\"heartbeat_ms\":\"soon\"}}", "heartbeat_ms"),
        Arguments.of(
            OK + ",\"split\":{\"join\":\"sometimes\",\"children\":[{\"title\":\"a\"}]}}", "join"),
        Arguments.of(
            OK + ",\"split\":{\"join\":\"quorum:5\",\"children\":[{\"title\":\"a\"}]}}",
            "quorum:5"),
        Arguments.of(OK + ",\"split\":{\"join\":\"all\",\"children\":[]}}", "children"),
        Arguments.of(OK + ",\"split\":{\"children\":[{\"input\":{}}]}}", "title"),
        Arguments.of(OK + ",\"budget\":{\"scope\":\"ws-1\",\"estimate\":-1}}", "estimate"),
        Arguments.of(
            OK + ",\"budget\":{\"scope\":\"team budget\",\"estimate\":1}}", "budget.scope"),
        Arguments.of(OK + ",\"required_capabilities\":[\"\"]}", "required_capabilities"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("badSubmissions")
  void badSubmissionsAre400(String body, String mentions) {
    Response r = api.post("/api/v1/missions", body);
    assertEquals(400, r.status(), r.toString());
    String message = r.body().get("error").get("message").asText();
    assertEquals(true, message.contains(mentions), message);
  }

  static Stream<Arguments> badWorkerReports() {
    return Stream.of(
        Arguments.of("heartbeat", "{\"progress\":1.5}", 400, "invalid_request"),
        Arguments.of("heartbeat", "{\"usage\":{\"cost\":-2}}", 400, "invalid_request"),
        Arguments.of("fail", "{\"retryable\":true}", 400, "invalid_request"),
        Arguments.of(
            "fail", "{\"reason\":\"x\",\"cleanup_status\":\"dirty\"}", 400, "invalid_request"),
        Arguments.of("handoff", "{\"note\":\"nobody\"}", 400, "invalid_request"),
        Arguments.of("complete", "{\"result\":", 400, "malformed_json"));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("badWorkerReports")
  void badWorkerReportsAre4xx(String what, String body, int status, String code) {
    Response r = api.post("/api/v1/missions/" + missionId + "/attempts/1/" + what, body);
    assertEquals(status, r.status(), r.toString());
    assertEquals(code, r.body().get("error").get("code").asText());
  }

  @Test
  void unknownMissionsAttemptsAndEscalationsAre404() {
    assertEquals(404, api.get("/api/v1/missions/m-nope").status());
    assertEquals(404, api.get("/api/v1/missions/m-nope/history").status());
    assertEquals(404, api.post("/api/v1/missions/m-nope/attempts/1/heartbeat", "{}").status());
    assertEquals(
        404, api.post("/api/v1/missions/" + missionId + "/attempts/99/complete", "{}").status());
    assertEquals(
        404, api.post("/api/v1/escalations/nonsense/resolve", "{\"action\":\"retry\"}").status());
    assertEquals(
        404,
        api.post("/api/v1/escalations/" + missionId + ".e7/resolve", "{\"action\":\"retry\"}")
            .status());
  }

  @Test
  void anotherWorkspaceIsTold404NeverShown() {
    Response r =
        api.send(
            HttpRequest.newBuilder(api.uri("/api/v1/missions/" + missionId))
                .header("Authorization", TestAuth.bearer(TestAuth.workspace("ws-2")))
                .GET());
    assertEquals(404, r.status());
    Response mine =
        api.send(
            HttpRequest.newBuilder(api.uri("/api/v1/missions/" + missionId))
                .header("Authorization", TestAuth.bearer(TestAuth.workspace("ws-1")))
                .GET());
    assertEquals(200, mine.status());
    Response list =
        api.send(
            HttpRequest.newBuilder(api.uri("/api/v1/missions?workspace=ws-1"))
                .header("Authorization", TestAuth.bearer(TestAuth.workspace("ws-2")))
                .GET());
    assertEquals(403, list.status(), "a list of another workspace is refused, whatever it holds");
  }

  @Test
  void badListParametersAre400() {
    assertEquals(400, api.get("/api/v1/missions?state=bogus").status());
    assertEquals(400, api.get("/api/v1/missions?cursor=!!!").status());
    assertEquals(400, api.get("/api/v1/missions?limit=0").status());
    assertEquals(400, api.get("/api/v1/missions?limit=100000").status());
    assertEquals(400, api.get("/api/v1/escalations?state=maybe").status());
  }

  @Test
  void badResolutionsAre400() {
    assertEquals(
        400,
        api.post("/api/v1/escalations/" + missionId + ".e1/resolve", "{\"action\":\"pray\"}")
            .status());
    assertEquals(
        400,
        api.post("/api/v1/escalations/" + missionId + ".e1/resolve", "{\"action\":\"reassign\"}")
            .status());
  }

  @Test
  void aHandoffOrReassignmentToAParticipantOutsideTheMissionsWorkspaceIs400() {
    String elsewhere =
        api.post("/api/v1/participants", "{\"workspace\":\"ws-2\",\"capabilities\":[\"x\"]}")
            .body()
            .get("id")
            .asText();
    for (String participant : List.of(elsewhere, "p-nobody")) {
      Response reassigned =
          api.post(
              "/api/v1/escalations/" + missionId + ".e1/resolve",
              "{\"action\":\"reassign\",\"participant_id\":\"" + participant + "\"}");
      assertEquals(400, reassigned.status(), reassigned.toString());
      assertTrue(
          reassigned.body().get("error").get("message").asText().contains("not registered in"),
          reassigned.toString());
      Response handedOff =
          api.post(
              "/api/v1/missions/" + missionId + "/attempts/1/handoff",
              "{\"target_participant_id\":\"" + participant + "\"}");
      assertEquals(400, handedOff.status(), handedOff.toString());
    }
    String here =
        api.post("/api/v1/participants", "{\"workspace\":\"ws-1\",\"capabilities\":[\"y\"]}")
            .body()
            .get("id")
            .asText();
    // Once this node's participant index has it (the read side's refresh), the mission decides.
    Eventually.assertWithin(
        Duration.ofSeconds(20),
        () -> {
          Response handedOff =
              api.post(
                  "/api/v1/missions/" + missionId + "/attempts/1/handoff",
                  "{\"target_participant_id\":\"" + here + "\"}");
          assertEquals(404, handedOff.status(), "a known participant: " + handedOff);
        });
  }

  @Test
  void theSameIdempotencyKeyNamesTheSameMission() {
    HttpRequest.Builder first =
        HttpRequest.newBuilder(api.uri("/api/v1/missions"))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", "k-1")
            .POST(HttpRequest.BodyPublishers.ofString(OK + "}"));
    Response a = api.send(first);
    Response b = api.send(first);
    assertEquals(201, a.status());
    assertEquals(a.body().get("id"), b.body().get("id"));
    Response different =
        api.send(
            HttpRequest.newBuilder(api.uri("/api/v1/missions"))
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", "k-1")
                .POST(HttpRequest.BodyPublishers.ofString(OK + ",\"priority\":5}")));
    assertEquals(409, different.status(), different.toString());
    Response fromElsewhere =
        api.send(
            HttpRequest.newBuilder(api.uri("/api/v1/missions"))
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", "k-1")
                .header("Authorization", TestAuth.bearer(TestAuth.workspace("ws-2")))
                .POST(HttpRequest.BodyPublishers.ofString(OK + "}")));
    assertEquals(
        403,
        fromElsewhere.status(),
        "the same answer whether ws-1 used the key or not: " + fromElsewhere);
  }

  @Test
  void aWrongMethodIs405() {
    Response r =
        api.send(HttpRequest.newBuilder(api.uri("/api/v1/missions/" + missionId)).DELETE());
    assertEquals(405, r.status());
  }
}
