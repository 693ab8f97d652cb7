package dev.muster.api.participants;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.muster.api.ApiClient;
import dev.muster.api.ApiClient.Response;
import dev.muster.api.MusterApplication;
import dev.muster.api.TestNodes;
import dev.muster.testing.Eventually;
import dev.muster.testing.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The participant API over real HTTP against one real node on H2: registration with the whole
 * profile, update, list with filters and cursors, drain, stand-down, heartbeat, a long poll that an
 * offer reaches while it waits, workspace isolation, and bad input.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ParticipantApiTest {
  private static final Duration WITHIN = Duration.ofSeconds(20);
  private static final String PARTICIPANTS = "/api/v1/participants";

  private TestDatabase database;
  private MusterApplication node;
  private ApiClient api;
  private Http http;

  @BeforeAll
  void startNode(@TempDir Path dataDir) {
    database = TestDatabase.h2(dataDir);
    node = MusterApplication.start(TestNodes.singleNode(database));
    api = new ApiClient(node.httpAddress());
    http = new Http(api);
  }

  @AfterAll
  void stopNode() throws Exception {
    node.close();
    database.close();
  }

  private JsonNode register(String body) {
    Response registered = http.post(PARTICIPANTS, body);
    assertEquals(201, registered.status(), registered.body().toString());
    return registered.body();
  }

  private static String simple(String workspace, String capability, String role) {
    return "{\"workspace\":\""
        + workspace
        + "\",\"capabilities\":[\""
        + capability
        + "\"],\"roles\":[\""
        + role
        + "\"]}";
  }

  private static void assertError(Response response, int status, String code) {
    assertEquals(status, response.status(), response.body().toString());
    assertEquals(code, response.body().get("error").get("code").asText(), response.toString());
  }

  @Test
  void registersTheWholeProfileAndUpdatesItRecordingTheActor() {
    JsonNode p =
        register(
            """
            {"workspace":"ws-profile","kind":"connected_runtime","roles":["builder"],
             "grants":["git:read","fs:write"],
             "boundaries":{"max_concurrent_attempts":3,"budget_scope":"team-a","trust_zone":"internal"},
             "escalation":{"escalate_to":"p-lead","after_attempts":2},
             "capability_manifest":{"execution_mode":"container","trust_zone":"internal",
                                    "capabilities":["java","shell:approval_required"]}}
            """);
    assertEquals("connected_runtime", p.get("kind").asText());
    assertEquals("active", p.get("status").asText());
    assertEquals(List.of("java", "shell"), texts(p.get("capabilities")));
    assertEquals(List.of("fs:write", "git:read"), texts(p.get("grants")));
    assertEquals(3, p.get("boundaries").get("max_concurrent_attempts").asInt());
    assertEquals(3, p.get("max_concurrent_attempts").asInt());
    assertEquals("team-a", p.get("boundaries").get("budget_scope").asText());
    assertEquals("internal", p.get("boundaries").get("trust_zone").asText());
    assertEquals("p-lead", p.get("escalation").get("escalate_to").asText());
    assertEquals(2, p.get("escalation").get("after_attempts").asInt());
    assertEquals("container", p.get("capability_manifest").get("execution_mode").asText());
    assertEquals(List.of("shell"), texts(p.get("approval_required")));
    assertTrue(p.get("current_attempts") == null, "load is the backlog's to tell");
    String path = PARTICIPANTS + "/" + p.get("id").asText();

    Response updated =
        http.as("alice")
            .patch(
                path,
                "{\"grants\":[\"git:write\"],\"boundaries\":{\"trust_zone\":\"dmz\"},"
                    + "\"escalation\":{\"escalate_to\":\"p-arbiter\"}}");
    assertEquals(200, updated.status(), updated.body().toString());
    assertEquals(List.of("git:write"), texts(updated.body().get("grants")));
    assertEquals("dmz", updated.body().get("boundaries").get("trust_zone").asText());
    assertEquals("team-a", updated.body().get("boundaries").get("budget_scope").asText());
    assertEquals(1, updated.body().get("escalation").get("after_attempts").asInt());
    assertEquals(updated.body(), http.get(path).body());
  }

  @Test
  void listsWithFiltersInStableOrderAcrossPages() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(
          register(simple("ws-list", i % 2 == 0 ? "java" : "rust", i < 3 ? "builder" : "reviewer"))
              .get("id")
              .asText());
    }
    register(simple("ws-elsewhere", "java", "builder"));
    List<String> sorted = ids.stream().sorted().toList();
    Eventually.assertWithin(
        WITHIN, () -> assertEquals(sorted, listAll("workspace=ws-list&limit=2", http)));
    Eventually.assertWithin(
        WITHIN,
        () ->
            assertEquals(
                List.of(ids.get(0), ids.get(2), ids.get(4)).stream().sorted().toList(),
                listAll("workspace=ws-list&capability=java&limit=1", http)));
    Eventually.assertWithin(
        WITHIN,
        () ->
            assertEquals(
                List.of(ids.get(3), ids.get(4)).stream().sorted().toList(),
                listAll("workspace=ws-list&role=reviewer", http)));

    Response drained = http.post(PARTICIPANTS + "/" + ids.get(1) + "/drain", "");
    assertEquals("draining", drained.body().get("status").asText(), drained.body().toString());
    Eventually.assertWithin(
        WITHIN,
        () ->
            assertEquals(List.of(ids.get(1)), listAll("workspace=ws-list&status=draining", http)));

    // Confined to a workspace: its own participants only; another's list is refused.
    assertEquals(sorted, listAll("limit=100", http.inWorkspace("ws-list")));
    assertEquals(
        403, http.inWorkspace("ws-elsewhere").get(PARTICIPANTS + "?workspace=ws-list").status());
    List<String> everyone = listAll("limit=3", http);
    assertTrue(everyone.containsAll(ids), everyone.toString());
    assertEquals(everyone.stream().sorted().toList(), everyone, "ids in order");
    assertEquals(new HashSet<>(everyone).size(), everyone.size(), "no participant twice");
  }

  /** Every page of a listing, following next_cursor. */
  private static List<String> listAll(String query, Http http) {
    List<String> ids = new ArrayList<>();
    String cursor = null;
    do {
      Response page =
          http.get(PARTICIPANTS + "?" + query + (cursor == null ? "" : "&cursor=" + cursor));
      assertEquals(200, page.status(), page.body().toString());
      page.body().get("participants").forEach(p -> ids.add(p.get("id").asText()));
      assertTrue(page.body().has("next_cursor"), page.body().toString());
      JsonNode next = page.body().get("next_cursor");
      cursor = next.isNull() ? null : next.asText();
    } while (cursor != null);
    return ids;
  }

  @Test
  void drainHeartbeatAndStandDownAndTheStandDownMessage() throws Exception {
    String id = register(simple("ws-life", "java", "builder")).get("id").asText();
    String path = PARTICIPANTS + "/" + id;
    CompletableFuture<Response> waiting = api.getAsync(path + "/inbox?wait=20s");

    Response beat = http.post(path + "/heartbeat", "");
    assertEquals(200, beat.status(), beat.body().toString());
    assertFalse(beat.body().get("last_heartbeat").isNull());
    assertEquals("draining", http.post(path + "/drain", "").body().get("status").asText());
    assertEquals(
        "draining", http.post(path + "/drain", "").body().get("status").asText(), "idempotent");
    Response stood = http.as("bob").post(path + "/stand-down", "{\"reason\":\"retired\"}");
    assertEquals(200, stood.status(), stood.body().toString());
    assertEquals("stood_down", stood.body().get("status").asText());
    assertEquals("retired", stood.body().get("stand_down_reason").asText());

    // The worker, waiting on its inbox, learns that it must stop.
    Response delivered = waiting.get(30, TimeUnit.SECONDS);
    JsonNode message = delivered.body().get("messages").get(0);
    assertEquals("stand_down", message.get("type").asText(), delivered.body().toString());
    assertEquals("retired", message.get("payload").get("reason").asText());
    Response ack = http.post(path + "/inbox/" + message.get("message_id").asText() + "/ack", "");
    assertEquals(200, ack.status(), ack.body().toString());

    assertError(http.post(path + "/heartbeat", ""), 409, "conflict");
    assertError(http.post(path + "/drain", ""), 409, "conflict");
    assertEquals(
        200, http.post(path + "/stand-down", "{\"reason\":\"retired\"}").status(), "idempotent");
    assertError(http.patch(path, "{\"grants\":[\"x\"]}"), 409, "conflict");
  }

  @Test
  void aLongPollIsAnsweredByAnOfferThatArrivesWhileItWaits() throws Exception {
    String id = register(simple("ws-poll", "poll-cap", "builder")).get("id").asText();
    Eventually.assertWithin(
        WITHIN, () -> assertEquals(List.of(id), listAll("workspace=ws-poll&status=active", http)));
    CompletableFuture<Response> waiting = api.getAsync(PARTICIPANTS + "/" + id + "/inbox?wait=30s");
    Response submitted =
        http.post(
            "/api/v1/missions",
            "{\"workspace\":\"ws-poll\",\"title\":\"t\",\"required_capabilities\":[\"poll-cap\"],"
                + "\"input\":{}}");
    assertTrue(submitted.status() / 100 == 2, submitted.body().toString());
    Response delivered = waiting.get(40, TimeUnit.SECONDS);
    JsonNode offer = delivered.body().get("messages").get(0);
    assertEquals("task_offer", offer.get("type").asText());
    assertEquals(submitted.body().get("id").asText(), offer.get("mission_id").asText());
  }

  @Test
  void anotherWorkspacesParticipantIsNotFoundLikeAnUnknownOne() {
    String id = register(simple("ws-a", "java", "builder")).get("id").asText();
    Http other = http.inWorkspace("ws-b");
    String path = PARTICIPANTS + "/" + id;
    for (Response response :
        List.of(
            other.get(path),
            other.patch(path, "{\"grants\":[\"x\"]}"),
            other.post(path + "/heartbeat", ""),
            other.post(path + "/drain", ""),
            other.post(path + "/stand-down", "{\"reason\":\"x\"}"),
            other.get(path + "/inbox"),
            other.get(path + "/inbox/stream"),
            other.post(path + "/inbox/m-1/ack", ""))) {
      assertError(response, 404, "not_found");
      assertEquals(
          "participant " + id + " is not registered",
          response.body().get("error").get("message").asText());
    }
    Response unknown = http.get(PARTICIPANTS + "/p-nobody");
    assertError(unknown, 404, "not_found");
    assertEquals(
        "participant p-nobody is not registered",
        unknown.body().get("error").get("message").asText());
    assertEquals("active", http.inWorkspace("ws-a").get(path).body().get("status").asText());
    assertEquals("active", http.get(path).body().get("status").asText());
    assertError(
        http.inWorkspace("ws-b").post(PARTICIPANTS, simple("ws-a", "java", "x")), 403, "forbidden");
  }

  @Test
  void badInputIsA4xxNamingTheProblem() {
    String id = register(simple("ws-bad", "java", "builder")).get("id").asText();
    String path = PARTICIPANTS + "/" + id;
    for (String query :
        List.of(
            "limit=-1",
            "limit=0",
            "limit=1000000",
            "limit=99999999999",
            "limit=ten",
            "status=sleeping",
            "cursor=%21%21%21")) {
      assertError(http.get(PARTICIPANTS + "?" + query), 400, "invalid_request");
    }
    for (String poll : List.of("?max=-1", "?max=1000000", "?wait=-5s", "?wait=1h")) {
      assertError(http.get(path + "/inbox" + poll), 400, "invalid_request");
    }
    assertError(
        http.post(PARTICIPANTS, "{\"workspace\":\"w\",\"colour\":\"red\"}"),
        400,
        "invalid_request");
    assertError(
        http.post(PARTICIPANTS, "{\"workspace\":\"w\",\"boundaries\":{\"budget\":1}}"),
        400,
        "invalid_request");
    assertError(http.patch(path, "{\"nickname\":\"x\"}"), 400, "invalid_request");
    assertError(http.patch(path, "{}"), 400, "invalid_request");
    assertError(
        http.patch(path, "{\"escalation\":{\"escalate_to\":\"x\",\"after_attempts\":0}}"),
        400,
        "invalid_request");
    assertError(
        http.post(PARTICIPANTS, "{\"workspace\":\"w\",\"max_concurrent_attempts\":0}"),
        400,
        "invalid_request");
    assertError(
        http.post(
            PARTICIPANTS,
            "{\"workspace\":\"w\",\"max_concurrent_attempts\":2,"
                + "\"boundaries\":{\"max_concurrent_attempts\":3}}"),
        400,
        "invalid_request");
    assertError(
        http.patch(
            path, "{\"max_concurrent_attempts\":2,\"boundaries\":{\"max_concurrent_attempts\":3}}"),
        400,
        "invalid_request");
    assertError(http.post(path + "/stand-down", "{}"), 400, "invalid_request");
    assertError(
        http.post(path + "/stand-down", "{\"reason\":\"x\",\"why\":1}"), 400, "invalid_request");
    assertError(http.get(PARTICIPANTS + "/p-nobody/inbox"), 404, "not_found");
    assertError(http.post(PARTICIPANTS + "/p-nobody/heartbeat", ""), 404, "not_found");
    assertError(http.post(PARTICIPANTS + "/p-nobody/drain", ""), 404, "not_found");
    assertError(http.get(PARTICIPANTS + "/p-nobody/inbox/stream"), 404, "not_found");
    assertError(http.post(path + "/inbox/m-unknown/ack", ""), 404, "unknown_message");
  }

  private static List<String> texts(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
  }
}
