package dev.muster.api.missions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import dev.muster.api.ApiClient;
import dev.muster.api.ApiClient.Response;
import dev.muster.api.MusterApplication;
import dev.muster.api.TestNodes;
import dev.muster.api.TestWorker;
import dev.muster.api.TestWorker.Plan;
import dev.muster.testing.Eventually;
import dev.muster.testing.TestDatabase;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator's decisions end to end: a real node on H2, real HTTP, in-test workers. Each flow
 * restarts the node in the middle and must still finish correctly; each checks the decisions and
 * their reasons in the mission's decision log and its history replayed from the journal.
 */
class MissionFlowsTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Set<String> CODE = Set.of("code");

  @TempDir Path dataDir;
  private TestDatabase database;
  private Config config;
  private MusterApplication node;
  private ApiClient api;
  private final List<TestWorker> workers = new ArrayList<>();

  @BeforeEach
  void start() {
    database = TestDatabase.h2(dataDir);
    config =
        TestNodes.restartable(
            database,
            Map.of(
                "muster.db.query-refresh-interval", "50ms",
                "muster.coordinator.offer-retry-interval", "200ms"));
    node = MusterApplication.start(config);
    api = new ApiClient(node.httpAddress());
  }

  @AfterEach
  void stop() throws Exception {
    for (TestWorker worker : workers) {
      worker.close();
    }
    node.close();
    database.close();
  }

  private void restart() {
    node.close();
    node = MusterApplication.start(config);
  }

  private TestWorker worker(TestWorker.Planner planner) {
    TestWorker worker = new TestWorker(node.httpAddress(), "ws-1", CODE, planner);
    workers.add(worker);
    return worker;
  }

  private TestWorker worker(Plan plan) {
    return worker((nth, offer) -> plan);
  }

  private String submit(String extra) {
    Response r =
        api.post(
            "/api/v1/missions",
            "{\"workspace\":\"ws-1\",\"title\":\"t\",\"required_capabilities\":[\"code\"],"
                + "\"input\":{\"n\":1}"
                + extra
                + "}");
    assertEquals(201, r.status(), r.toString());
    return r.body().get("id").asText();
  }

  private JsonNode mission(String id) {
    Response r = api.get("/api/v1/missions/" + id);
    assertEquals(200, r.status(), r.toString());
    return r.body();
  }

  private JsonNode awaitState(String id, String state) {
    return Eventually.get(
        WAIT,
        () -> {
          JsonNode m = mission(id);
          assertEquals(state, m.get("state").asText(), m.toString());
          return m;
        });
  }

  private static List<String> decisions(JsonNode mission) {
    List<String> kinds = new ArrayList<>();
    for (JsonNode d : mission.get("decisions")) {
      kinds.add(d.get("decision").asText());
      assertFalse(d.get("reason").asText().isBlank(), "every decision has a reason: " + d);
    }
    return kinds;
  }

  /** The history replayed from the journal holds the same decisions, in order. */
  private void assertHistoryMatches(String id) {
    Response history = api.get("/api/v1/missions/" + id + "/history");
    assertEquals(200, history.status(), history.toString());
    List<String> replayed = new ArrayList<>();
    long seq = 0;
    for (JsonNode entry : history.body().get("events")) {
      assertTrue(entry.get("seq").asLong() > seq, "events are in order");
      seq = entry.get("seq").asLong();
      if (entry.get("type").asText().equals("decision_made")) {
        replayed.add(entry.get("event").get("decision").get("kind").asText());
      }
    }
    assertEquals(decisions(mission(id)), replayed);
  }

  @Test
  void aSplitIntoThreeChildrenJoinedAllCompletesWhenEveryChildHas() {
    JsonNode parentAtSubmit = null;
    String parent =
        submit(
            ",\"split\":{\"join\":\"all\",\"children\":["
                + "{\"title\":\"a\",\"required_capabilities\":[\"code\"],\"input\":{\"part\":1}},"
                + "{\"title\":\"b\",\"required_capabilities\":[\"code\"],\"input\":{\"part\":2}},"
                + "{\"title\":\"c\",\"required_capabilities\":[\"code\"],\"input\":{\"part\":3}}]}");
    parentAtSubmit = mission(parent);
    assertEquals("split", parentAtSubmit.get("state").asText());
    assertEquals(3, parentAtSubmit.get("children").size());

    restart();
    worker(Plan.COMPLETE);

    JsonNode done = awaitState(parent, "succeeded");
    assertEquals(List.of("split", "complete"), decisions(done));
    for (JsonNode child : done.get("children")) {
      JsonNode c = awaitState(child.asText(), "succeeded");
      assertEquals(parent, c.get("parent_id").asText());
      assertEquals(List.of("proceed", "complete"), decisions(c));
    }
    assertHistoryMatches(parent);
    Eventually.assertWithin(
        WAIT,
        () -> {
          Response children = api.get("/api/v1/missions?parent=" + parent + "&state=succeeded");
          assertEquals(3, children.body().get("missions").size(), children.toString());
        });
  }

  @Test
  void aFirstRaceCompletesOnTheFirstSuccessAndStandsDownTheSiblings() {
    TestWorker holder = worker(Plan.HOLD);
    String parent =
        submit(
            ",\"split\":{\"join\":\"first\",\"children\":["
                + "{\"title\":\"a\",\"required_capabilities\":[\"code\"]},"
                + "{\"title\":\"b\",\"required_capabilities\":[\"code\"]},"
                + "{\"title\":\"c\",\"required_capabilities\":[\"code\"]}]}");
    List<String> children = new ArrayList<>();
    mission(parent).get("children").forEach(c -> children.add(c.asText()));
    for (String child : children) {
      awaitState(child, "running");
    }

    restart();

    Response won =
        api.post(
            "/api/v1/missions/" + children.get(1) + "/attempts/1/complete",
            "{\"result\":{\"winner\":true}}");
    assertEquals(200, won.status(), won.toString());

    JsonNode done = awaitState(parent, "succeeded");
    assertEquals(List.of("split", "stand_down", "complete"), decisions(done));
    for (String sibling : List.of(children.get(0), children.get(2))) {
      JsonNode s = awaitState(sibling, "cancelled");
      assertTrue(decisions(s).contains("stand_down"));
      Eventually.assertWithin(WAIT, () -> assertTrue(holder.stoodDownFrom(sibling)));
    }
    assertHistoryMatches(parent);
  }

  @Test
  void aWorkerThatFailsTwiceThenSucceedsIsRetriedWithBackoff() {
    worker((nth, offer) -> nth <= 2 ? Plan.FAIL : Plan.COMPLETE);
    String id =
        submit(
            ",\"retry_policy\":{\"max_attempts\":3,\"initial_backoff_ms\":300,\"multiplier\":2.0,"
                + "\"max_backoff_ms\":10000}");
    Eventually.assertWithin(
        WAIT,
        () ->
            assertTrue(
                mission(id).get("attempts").size() >= 1
                    && decisions(mission(id)).contains("retry")));

    restart();

    JsonNode done = awaitState(id, "succeeded");
    assertEquals(
        List.of("proceed", "retry", "proceed", "retry", "proceed", "complete"), decisions(done));
    JsonNode attempts = done.get("attempts");
    assertEquals(List.of("failed", "failed", "succeeded"), states(attempts));
    JsonNode firstRetry = done.get("decisions").get(1);
    assertEquals(300, firstRetry.get("inputs").get("backoff_ms").asInt());
    assertEquals(600, done.get("decisions").get(3).get("inputs").get("backoff_ms").asInt());
    assertHistoryMatches(id);
  }

  @Test
  void aSilentWorkerIsStoodDownAndTheAttemptRetriedOnAnotherParticipant() {
    TestWorker silent = worker(Plan.SILENT);
    String id = submit(",\"timeouts\":{\"heartbeat_ms\":1500}");
    awaitState(id, "running");

    restart();
    TestWorker healthy = worker(Plan.COMPLETE);

    JsonNode done = awaitState(id, "succeeded");
    assertEquals(List.of("proceed", "stand_down", "retry", "proceed", "complete"), decisions(done));
    assertTrue(done.get("decisions").get(1).get("reason").asText().contains("no heartbeat"));
    assertEquals(silent.id, done.get("attempts").get(0).get("participant_id").asText());
    assertEquals("stood_down", done.get("attempts").get(0).get("state").asText());
    assertEquals(healthy.id, done.get("attempts").get(1).get("participant_id").asText());
    Eventually.assertWithin(WAIT, () -> assertTrue(silent.stoodDownFrom(id)));

    Response late =
        api.post("/api/v1/missions/" + id + "/attempts/1/heartbeat", "{\"progress\":0.9}");
    assertEquals(409, late.status());
    assertEquals("stale_attempt", late.body().get("error").get("code").asText());
    assertHistoryMatches(id);
  }

  @Test
  void exhaustedRetriesEscalateAndAnOperatorRetrySucceeds() {
    worker((nth, offer) -> nth <= 3 ? Plan.FAIL : Plan.COMPLETE);
    String id =
        submit(
            ",\"retry_policy\":{\"max_attempts\":3,\"initial_backoff_ms\":50,\"max_backoff_ms\":100}");
    awaitState(id, "escalated");

    restart();

    JsonNode escalation =
        Eventually.get(
            WAIT,
            () -> {
              Response open = api.get("/api/v1/escalations?workspace=ws-1&state=open");
              JsonNode found = null;
              for (JsonNode e : open.body().get("escalations")) {
                if (e.get("mission_id").asText().equals(id)) {
                  found = e;
                }
              }
              assertTrue(found != null, open.toString());
              return found;
            });
    assertTrue(escalation.get("reason").asText().contains("retries exhausted"));
    String resolvePath = "/api/v1/escalations/" + escalation.get("id").asText() + "/resolve";

    Response resolved = api.post(resolvePath, "{\"action\":\"retry\",\"note\":\"flaky network\"}");
    assertEquals(200, resolved.status(), resolved.toString());
    Response twice = api.post(resolvePath, "{\"action\":\"retry\"}");
    assertEquals(409, twice.status());

    JsonNode done = awaitState(id, "succeeded");
    assertEquals(
        List.of(
            "proceed",
            "retry",
            "proceed",
            "retry",
            "proceed",
            "escalate",
            "retry",
            "proceed",
            "complete"),
        decisions(done));
    Eventually.assertWithin(
        WAIT,
        () -> {
          Response open = api.get("/api/v1/escalations?workspace=ws-1&state=open");
          for (JsonNode e : open.body().get("escalations")) {
            assertFalse(e.get("mission_id").asText().equals(id), "resolved: " + e);
          }
        });
    assertHistoryMatches(id);
  }

  @Test
  void anOperatorCanAcceptAFailure() {
    worker(Plan.FAIL);
    String id = submit(",\"retry_policy\":{\"max_attempts\":1}");
    JsonNode escalated = awaitState(id, "escalated");
    String escalation = escalated.get("escalations").get(0).get("id").asText();
    Response accepted =
        api.post(
            "/api/v1/escalations/" + escalation + "/resolve",
            "{\"action\":\"accept_failure\",\"note\":\"not worth it\"}");
    assertEquals(200, accepted.status(), accepted.toString());
    JsonNode failed = awaitState(id, "failed");
    assertEquals(List.of("proceed", "escalate", "fail"), decisions(failed));
  }

  @Test
  void cancellingAParentStandsDownEveryChildsWorker() {
    TestWorker holder = worker(Plan.HOLD);
    String parent =
        submit(
            ",\"split\":{\"join\":\"all\",\"children\":["
                + "{\"title\":\"a\",\"required_capabilities\":[\"code\"]},"
                + "{\"title\":\"b\",\"required_capabilities\":[\"code\"]}]}");
    List<String> children = new ArrayList<>();
    mission(parent).get("children").forEach(c -> children.add(c.asText()));
    for (String child : children) {
      awaitState(child, "running");
    }

    restart();

    Response cancelled =
        api.post("/api/v1/missions/" + parent + "/cancel", "{\"reason\":\"no longer needed\"}");
    assertEquals(200, cancelled.status(), cancelled.toString());
    assertEquals("cancelled", cancelled.body().get("state").asText());
    for (String child : children) {
      awaitState(child, "cancelled");
      Eventually.assertWithin(WAIT, () -> assertTrue(holder.stoodDownFrom(child)));
    }
    assertEquals(List.of("split", "stand_down"), decisions(mission(parent)));
    assertHistoryMatches(parent);
  }

  @Test
  void aHandoffGoesToWhoeverMeetsTheNewRequirementsAndIsEvidenced() {
    Response registered =
        api.post(
            "/api/v1/participants",
            "{\"workspace\":\"ws-1\",\"capabilities\":[\"code\"],\"roles\":[\"worker\"]}");
    String coder = registered.body().get("id").asText();
    String id = submit("");
    JsonNode offer =
        Eventually.get(
            WAIT,
            () -> {
              JsonNode messages =
                  api.get("/api/v1/participants/" + coder + "/inbox?wait=1s")
                      .body()
                      .get("messages");
              assertEquals(1, messages.size());
              return messages.get(0);
            });
    api.post(
        "/api/v1/participants/" + coder + "/inbox/" + offer.get("message_id").asText() + "/ack",
        "");
    TestWorker reviewer =
        new TestWorker(node.httpAddress(), "ws-1", Set.of("review"), (n, o) -> Plan.COMPLETE);
    workers.add(reviewer);

    Response handed =
        api.post(
            "/api/v1/missions/" + id + "/attempts/1/handoff",
            "{\"target_capabilities\":[\"review\"],\"note\":\"needs a review\"}");
    assertEquals(200, handed.status(), handed.toString());

    JsonNode done = awaitState(id, "succeeded");
    List<String> decided = decisions(done);
    // The reviewer may not be in the capability index yet when the handoff arrives: then the
    // coordinator waits for it (retry) before it proceeds.
    assertTrue(
        decided.equals(List.of("proceed", "proceed", "complete"))
            || decided.equals(List.of("proceed", "retry", "proceed", "complete")),
        decided.toString());
    JsonNode handoff = done.get("handoffs").get(0);
    assertEquals(coder, handoff.get("from").asText());
    assertEquals(1, handoff.get("attempt").asInt());
    assertEquals("review", handoff.get("to").get("capabilities").get(0).asText());
    assertEquals("needs a review", handoff.get("note").asText());
    assertEquals("handed_off", done.get("attempts").get(0).get("state").asText());
    assertEquals(reviewer.id, done.get("attempts").get(1).get("participant_id").asText());
    assertTrue(done.get("decisions").get(1).get("reason").asText().contains("handed attempt 1 on"));
    Response late = api.post("/api/v1/missions/" + id + "/attempts/1/complete", "{}");
    assertEquals(409, late.status(), "the one who handed off no longer owns the attempt");
  }

  @Test
  void aBudgetThatCannotCoverTheEstimateEscalatesAndRaisingItResumesTheMission() {
    worker(Plan.HOLD);
    Response set = api.send(put("/api/v1/budgets/ws-b", "{\"limit\":10}"));
    assertEquals(200, set.status(), set.toString());
    String budget = ",\"budget\":{\"scope\":\"ws-b\",\"estimate\":4}";
    String first = submit(budget);
    String second = submit(budget);
    awaitState(first, "running");
    awaitState(second, "running");
    String third = submit(budget);
    JsonNode denied = awaitState(third, "escalated");
    assertTrue(denied.get("escalations").get(0).get("reason").asText().contains("denied"));
    JsonNode ledger = api.get("/api/v1/budgets/ws-b").body();
    assertEquals(8, ledger.get("reserved").asInt(), ledger.toString());

    assertEquals(200, api.send(put("/api/v1/budgets/ws-b", "{\"limit\":20}")).status());
    Response resumed =
        api.post(
            "/api/v1/escalations/"
                + denied.get("escalations").get(0).get("id").asText()
                + "/resolve",
            "{\"action\":\"raise_budget\",\"note\":\"approved more spend\"}");
    assertEquals(200, resumed.status(), resumed.toString());
    awaitState(third, "running");
    Eventually.assertWithin(
        WAIT,
        () -> assertEquals(12, api.get("/api/v1/budgets/ws-b").body().get("reserved").asInt()));
  }

  private HttpRequest.Builder put(String path, String json) {
    return HttpRequest.newBuilder(api.uri(path))
        .header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(json));
  }

  private static List<String> states(JsonNode attempts) {
    List<String> states = new ArrayList<>();
    attempts.forEach(a -> states.add(a.get("state").asText()));
    return states;
  }
}
