package dev.muster.api.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.muster.api.MusterApplication;
import dev.muster.api.TestAuth;
import dev.muster.api.TestNodes;
import dev.muster.api.access.AccessHttp.Credential;
import dev.muster.api.access.AccessHttp.Reply;
import dev.muster.testing.Eventually;
import dev.muster.testing.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Workspace isolation on a real node: workspace A has one object of every kind (missions offered,
 * waiting in the backlog, awaiting approval and escalated; a participant with an offer in its
 * inbox; a budget; a session token; a device). Workspace B's token reads none of them (404, exactly
 * as for an object that does not exist), changes none of them (404 likewise, or a refusal that says
 * nothing of A's object), lists none of them, cannot mint, enroll or submit into A; and afterwards
 * every one of A's objects is as it was.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CrossWorkspaceTest {
  private static final Duration WITHIN = Duration.ofSeconds(20);
  private static final Duration REVOCATION = Duration.ofSeconds(5);

  private TestDatabase database;
  private MusterApplication node;
  private AccessHttp http;
  private final Credential operator = Credential.bearer("operator", TestAuth.operator());
  private final Credential a = Credential.bearer("workspace ws-a", TestAuth.workspace("ws-a"));
  private final Credential b = Credential.bearer("workspace ws-b", TestAuth.workspace("ws-b"));
  private final ExternalIdp idp = new ExternalIdp("idp-test");

  // A's objects
  private String participant;
  private Credential participantCredential;
  private String offered; // offered to the participant, not yet acked
  private String offerMessage;
  private String waiting; // in A's backlog: the participant has room for one
  private String awaitingApproval;
  private String escalated;
  private String escalation;
  private final String budget = "budget-a";
  private String sessionJti;
  private Credential session;
  // B's own objects, so that B's lists are known to be read
  private String participantB;
  private String missionB;
  private String escalationB;
  private String sessionJtiB;

  @BeforeAll
  void setUp(@TempDir Path dataDir) {
    database = TestDatabase.h2(dataDir);
    node =
        MusterApplication.start(
            TestNodes.restartable(
                database, Map.of("muster.auth.external-issuers", List.of(idp.config(dataDir)))));
    http = new AccessHttp(node.httpAddress());

    JsonNode registered =
        created(
            http.post(
                a,
                "/api/v1/participants",
                "{\"workspace\":\"ws-a\",\"capabilities\":[\"cap-a\"],\"roles\":[\"worker\"],"
                    + "\"max_concurrent_attempts\":1}"));
    participant = registered.path("id").asText();
    participantCredential =
        Credential.bearer(
            "participant " + participant, registered.path("credential").path("token").asText());
    offered =
        submit(
            a,
            "ws-a",
            "cap-a",
            ",\"timeouts\":{\"schedule_to_start_ms\":600000,\"max_queue_ms\":600000}");
    Eventually.assertWithin(
        WITHIN,
        () -> {
          JsonNode m = mission(offered);
          assertEquals("offered", m.path("state").asText(), m.toString());
        });
    waiting = submit(a, "ws-a", "cap-a", ",\"timeouts\":{\"schedule_to_start_ms\":600000}");
    awaitingApproval = submit(a, "ws-a", "cap-a", ",\"approval_policy\":{\"required\":true}");
    escalated = submit(a, "ws-a", "cap-nobody", ",\"timeouts\":{\"schedule_to_start_ms\":300}");
    escalation = awaitEscalation(escalated);
    offerMessage =
        Eventually.get(
            WITHIN,
            () -> {
              Reply polled =
                  http.get(
                      participantCredential,
                      "/api/v1/participants/" + participant + "/inbox?wait=2s");
              assertEquals(200, polled.status(), polled.toString());
              for (JsonNode message : polled.body().path("messages")) {
                if (message.path("mission_id").asText().equals(offered)) {
                  return message.path("message_id").asText();
                }
              }
              throw new AssertionError("no offer of " + offered + " yet: " + polled);
            });
    Reply limit =
        http.send(a, "PUT", "/api/v1/budgets/" + budget, "{\"limit\":100,\"workspace\":\"ws-a\"}");
    assertEquals(200, limit.status(), "setting A's budget: " + limit);
    JsonNode minted =
        created(http.post(a, "/api/v1/tokens", "{\"kind\":\"session\",\"subject\":\"sess-a\"}"));
    sessionJti = minted.path("jti").asText();
    session = Credential.bearer("A's session sess-a", minted.path("token").asText());
    created(http.post(a, "/api/v1/devices", "{\"device_id\":\"phone-a\",\"name\":\"A's phone\"}"));

    participantB =
        created(
                http.post(
                    b,
                    "/api/v1/participants",
                    "{\"workspace\":\"ws-b\",\"capabilities\":[\"cap-b\"],\"roles\":[\"worker\"]}"))
            .path("id")
            .asText();
    missionB = submit(b, "ws-b", "cap-nobody", ",\"timeouts\":{\"schedule_to_start_ms\":300}");
    escalationB = awaitEscalation(missionB);
    sessionJtiB =
        created(http.post(b, "/api/v1/tokens", "{\"kind\":\"session\",\"subject\":\"sess-b\"}"))
            .path("jti")
            .asText();
    created(http.post(b, "/api/v1/devices", "{\"device_id\":\"phone-b\",\"name\":\"B's phone\"}"));

    // The read side has A's objects: an operator's lists show them.
    Eventually.assertWithin(
        WITHIN,
        () -> {
          Reply missions = http.get(operator, "/api/v1/missions?workspace=ws-a");
          for (String id : List.of(offered, waiting, awaitingApproval, escalated)) {
            assertListed(missions, "missions", "id", id);
          }
          assertListed(
              http.get(operator, "/api/v1/escalations?workspace=ws-a&state=all"),
              "escalations",
              "id",
              escalation);
          assertListed(
              http.get(operator, "/api/v1/participants?workspace=ws-a"),
              "participants",
              "id",
              participant);
          assertListed(
              http.get(operator, "/api/v1/backlog?workspace=ws-a"),
              "missions",
              "mission_id",
              waiting);
        });
  }

  @AfterAll
  void tearDown() throws Exception {
    node.close();
    database.close();
  }

  // Helpers

  private static JsonNode created(Reply reply) {
    assertEquals(201, reply.status(), "creating: " + reply);
    return reply.body();
  }

  private String submit(Credential who, String workspace, String capability, String extra) {
    return created(
            http.post(
                who,
                "/api/v1/missions",
                "{\"workspace\":\""
                    + workspace
                    + "\",\"title\":\"t\",\"required_capabilities\":[\""
                    + capability
                    + "\"],\"input\":{}"
                    + extra
                    + "}"))
        .path("id")
        .asText();
  }

  private JsonNode mission(String id) {
    Reply reply = http.get(operator, "/api/v1/missions/" + id);
    assertEquals(200, reply.status(), reply.toString());
    return reply.body();
  }

  private String awaitEscalation(String id) {
    return Eventually.get(
        WITHIN,
        () -> {
          JsonNode m = mission(id);
          assertEquals("escalated", m.path("state").asText(), m.toString());
          return m.path("escalations").path(0).path("id").asText();
        });
  }

  private static List<JsonNode> items(Reply reply, String list) {
    assertEquals(200, reply.status(), reply.toString());
    JsonNode array = reply.body().path(list);
    assertTrue(array.isArray(), "a list '" + list + "': " + reply);
    return StreamSupport.stream(array.spliterator(), false).toList();
  }

  private static void assertListed(Reply reply, String list, String field, String id) {
    assertTrue(ids(reply, list, field).contains(id), list + " should show " + id + ": " + reply);
  }

  private static List<String> ids(Reply reply, String list, String field) {
    return items(reply, list).stream().map(n -> n.path(field).asText()).toList();
  }

  /** Waits until a revocation made now is in force: every earlier one then is too. */
  private void revocationBarrier() {
    JsonNode marker =
        created(
            http.post(
                operator,
                "/api/v1/tokens",
                "{\"kind\":\"session\",\"subject\":\"barrier\",\"workspace\":\"ws-c\"}"));
    Credential barrier = Credential.bearer("the barrier token", marker.path("token").asText());
    Reply revoked = http.delete(operator, "/api/v1/tokens/" + marker.path("jti").asText());
    assertEquals(200, revoked.status(), revoked.toString());
    Eventually.assertWithin(
        REVOCATION,
        () -> {
          Reply refused = http.get(barrier, "/api/v1/missions");
          assertEquals(401, refused.status(), "the barrier token is revoked: " + refused);
        });
  }

  /**
   * {@code method path body} as B, and the same request on objects that do not exist (each real id
   * replaced by an unknown one): both 404, with the same message once the ids are swapped back.
   */
  private void assertAnsweredAsUnknown(
      String method, String path, String body, Map<String, String> unknownFor) {
    Reply reply = http.send(b, method, path, body);
    String unknownPath = path;
    String unknownBody = body;
    for (Map.Entry<String, String> swap : unknownFor.entrySet()) {
      unknownPath = unknownPath.replace(swap.getKey(), swap.getValue());
      unknownBody =
          unknownBody == null ? null : unknownBody.replace(swap.getKey(), swap.getValue());
    }
    Reply unknown = http.send(b, method, unknownPath, unknownBody);
    assertEquals(404, reply.status(), "another workspace's object is not found: " + reply);
    assertEquals("not_found", reply.code(), reply.toString());
    assertEquals(404, unknown.status(), "an object that does not exist: " + unknown);
    String message = unknown.message();
    for (Map.Entry<String, String> swap : unknownFor.entrySet()) {
      message = message.replace(swap.getValue(), swap.getKey());
    }
    assertEquals(
        message,
        reply.message(),
        "A's object is answered like one that does not exist:\n  " + reply + "\n  " + unknown);
    if (!path.contains("ws-a")) {
      assertFalse(reply.raw().contains("ws-a"), "nothing names workspace A: " + reply);
    }
  }

  // Tests

  @Test
  void readsOfAnotherWorkspaceAreNotFound() {
    assertAnsweredAsUnknown("GET", "/api/v1/missions/" + offered, null, Map.of(offered, "m-nope"));
    assertAnsweredAsUnknown(
        "GET", "/api/v1/missions/" + awaitingApproval, null, Map.of(awaitingApproval, "m-nope"));
    assertAnsweredAsUnknown(
        "GET", "/api/v1/missions/" + offered + "/history", null, Map.of(offered, "m-nope"));
    assertAnsweredAsUnknown(
        "GET", "/api/v1/participants/" + participant, null, Map.of(participant, "p-nope"));
    assertAnsweredAsUnknown(
        "GET", "/api/v1/budgets/" + budget, null, Map.of(budget, "budget-never-set"));
  }

  @Test
  void changesToAnotherWorkspaceAreNotFoundAndChangeNothing() {
    JsonNode offeredBefore = mission(offered);
    JsonNode waitingBefore = mission(waiting);
    JsonNode approvalBefore = mission(awaitingApproval);
    JsonNode escalatedBefore = mission(escalated);

    Map<String, String> offeredUnknown = Map.of(offered, "m-nope");
    String attempt = "/api/v1/missions/" + offered + "/attempts/1/";
    Map<String, String> bodies =
        Map.of(
            "heartbeat", "{\"progress\":0.5}",
            "complete", "{\"result\":{\"by\":\"b\"}}",
            "fail", "{\"reason\":\"b\",\"retryable\":false,\"cleanup_status\":\"clean\"}",
            "decline", "{\"reason\":\"b\"}",
            "handoff", "{\"target_role\":\"worker\",\"note\":\"b\"}");
    bodies.forEach(
        (call, body) -> assertAnsweredAsUnknown("POST", attempt + call, body, offeredUnknown));
    assertAnsweredAsUnknown(
        "POST", "/api/v1/missions/" + offered + "/cancel", "{\"reason\":\"b\"}", offeredUnknown);
    assertAnsweredAsUnknown(
        "POST",
        "/api/v1/missions/" + waiting + "/cancel",
        "{\"reason\":\"b\"}",
        Map.of(waiting, "m-nope"));
    assertAnsweredAsUnknown(
        "POST",
        "/api/v1/missions/" + awaitingApproval + "/approval",
        "{\"granted\":true}",
        Map.of(awaitingApproval, "m-nope"));
    Map<String, String> escalationUnknown = new LinkedHashMap<>();
    escalationUnknown.put(escalation, "m-nope.e1");
    escalationUnknown.put(escalated, "m-nope");
    assertAnsweredAsUnknown(
        "POST",
        "/api/v1/escalations/" + escalation + "/resolve",
        "{\"action\":\"cancel\"}",
        escalationUnknown);

    Map<String, String> participantUnknown = Map.of(participant, "p-nope");
    String p = "/api/v1/participants/" + participant;
    assertAnsweredAsUnknown("PATCH", p, "{\"capabilities\":[\"cap-b\"]}", participantUnknown);
    assertAnsweredAsUnknown("POST", p + "/drain", "{}", participantUnknown);
    assertAnsweredAsUnknown("POST", p + "/stand-down", "{\"reason\":\"b\"}", participantUnknown);
    assertAnsweredAsUnknown("POST", p + "/heartbeat", "{}", participantUnknown);
    assertAnsweredAsUnknown("GET", p + "/inbox", null, participantUnknown);
    assertAnsweredAsUnknown("GET", p + "/inbox/stream", null, participantUnknown);
    assertAnsweredAsUnknown(
        "POST", p + "/inbox/" + offerMessage + "/ack", "{}", participantUnknown);

    assertAnsweredAsUnknown(
        "DELETE", "/api/v1/tokens/" + sessionJti, null, Map.of(sessionJti, "t-nope"));
    // A subject names someone within a workspace: B revoking "sess-a" or "ws-a" revokes B's own
    // (it has none), answered as for a name nobody has; A's tokens keep working (checked below).
    Reply nobody = http.send(b, "DELETE", "/api/v1/subjects/subject-nope/tokens", null);
    for (String subject : List.of("sess-a", "ws-a")) {
      Reply reply = http.send(b, "DELETE", "/api/v1/subjects/" + subject + "/tokens", null);
      assertEquals(nobody.status(), reply.status(), reply + "\n  like " + nobody);
      assertEquals(0, reply.body().path("tokens").asInt(), "none of B's: " + reply);
      assertEquals("ws-b", reply.body().path("workspace").asText(), "in B only: " + reply);
    }

    // A budget's scope is one name for the whole node: B's limit on A's budget is not found (as a
    // read of a scope never set), and naming A's workspace is refused before any budget is asked.
    Reply put = http.send(b, "PUT", "/api/v1/budgets/" + budget, "{\"limit\":5}");
    Reply neverSet = http.get(b, "/api/v1/budgets/budget-never-set");
    assertEquals(404, put.status(), "B's limit on A's budget: " + put);
    assertEquals(
        neverSet.message().replace("budget-never-set", budget),
        put.message(),
        "answered like a budget that was never set:\n  " + put + "\n  " + neverSet);
    Reply named =
        http.send(b, "PUT", "/api/v1/budgets/" + budget, "{\"limit\":5,\"workspace\":\"ws-a\"}");
    Reply namedUnknown =
        http.send(
            b, "PUT", "/api/v1/budgets/budget-never-set", "{\"limit\":5,\"workspace\":\"ws-a\"}");
    assertEquals(403, named.status(), "B names workspace A for a budget: " + named);
    assertEquals(
        namedUnknown.status() + " " + namedUnknown.message(),
        named.status() + " " + named.message(),
        "the same answer whether or not A has the budget:\n  " + named + "\n  " + namedUnknown);

    // Afterwards A's objects are as they were. Revocations first: after a later revocation is in
    // force, any revocation B might have caused would be too.
    revocationBarrier();
    Reply sessionStill = http.get(session, "/api/v1/missions");
    assertEquals(200, sessionStill.status(), "A's session token was not revoked: " + sessionStill);
    Reply aStill = http.get(a, "/api/v1/missions");
    assertEquals(200, aStill.status(), "A's workspace token was not revoked: " + aStill);
    JsonNode record =
        items(http.get(operator, "/api/v1/tokens?subject=sess-a"), "tokens").stream()
            .filter(t -> t.path("jti").asText().equals(sessionJti))
            .findFirst()
            .orElseThrow(() -> new AssertionError("A's session token is listed"));
    assertTrue(
        record.path("revoked_at").isMissingNode() || record.path("revoked_at").isNull(),
        "A's session token is not marked revoked: " + record);

    assertUnchanged(offeredBefore, mission(offered));
    assertUnchanged(waitingBefore, mission(waiting));
    assertUnchanged(approvalBefore, mission(awaitingApproval));
    assertUnchanged(escalatedBefore, mission(escalated));
    JsonNode offeredAfter = mission(offered);
    assertEquals("offered", offeredAfter.path("state").asText(), offeredAfter.toString());
    assertEquals(
        "offered",
        offeredAfter.path("attempts").path(0).path("state").asText(),
        "the attempt was not taken, completed, failed, declined or handed off: " + offeredAfter);
    assertTrue(
        offeredAfter.path("result").isMissingNode() || offeredAfter.path("result").isNull(),
        "no result: " + offeredAfter);
    JsonNode approvalAfter = mission(awaitingApproval);
    assertEquals(
        "awaiting_approval", approvalAfter.path("state").asText(), approvalAfter.toString());
    JsonNode escalatedAfter = mission(escalated);
    assertEquals(
        "open",
        escalatedAfter.path("escalations").path(0).path("state").asText(),
        "the escalation is still open: " + escalatedAfter);

    Reply participantAfter = http.get(operator, "/api/v1/participants/" + participant);
    assertEquals(200, participantAfter.status(), participantAfter.toString());
    assertEquals(
        "active", participantAfter.body().path("status").asText(), participantAfter.toString());
    assertEquals(
        "[\"cap-a\"]",
        participantAfter.body().path("capabilities").toString(),
        "the capabilities are A's: " + participantAfter);

    Reply budgetAfter = http.get(a, "/api/v1/budgets/" + budget);
    assertEquals(200, budgetAfter.status(), budgetAfter.toString());
    assertEquals(100, budgetAfter.body().path("limit").asInt(), "A's limit: " + budgetAfter);
    assertEquals("ws-a", budgetAfter.body().path("workspace").asText(), budgetAfter.toString());

    Reply devices = http.get(operator, "/api/v1/devices?workspace=ws-a");
    assertTrue(
        items(devices, "devices").stream()
            .anyMatch(
                d ->
                    d.path("device_id").asText().equals("phone-a")
                        && d.path("name").asText().equals("A's phone")),
        "A's device is still registered under its name: " + devices);
  }

  /** The same state, attempts (and their states), decisions, escalations and approval. */
  private static void assertUnchanged(JsonNode before, JsonNode after) {
    for (String field : List.of("state", "attempts", "decisions", "escalations", "approval")) {
      assertEquals(
          before.path(field).toString(),
          after.path(field).toString(),
          "mission " + before.path("id").asText() + "'s " + field + " is unchanged");
    }
  }

  @Test
  void listsOfAnotherWorkspaceShowNothingOfIt() {
    Set<String> aIds =
        Set.of(
            offered,
            waiting,
            awaitingApproval,
            escalated,
            escalation,
            participant,
            sessionJti,
            "phone-a");
    // B's lists are read: B's own objects show (each read model has caught up with them).
    Eventually.assertWithin(
        WITHIN,
        () -> {
          assertListed(http.get(b, "/api/v1/missions"), "missions", "id", missionB);
          assertListed(
              http.get(b, "/api/v1/escalations?state=all"), "escalations", "id", escalationB);
          assertListed(http.get(b, "/api/v1/participants"), "participants", "id", participantB);
          assertListed(http.get(b, "/api/v1/tokens"), "tokens", "jti", sessionJtiB);
          assertListed(http.get(b, "/api/v1/devices"), "devices", "device_id", "phone-b");
          Reply audit = http.get(b, "/api/v1/audit");
          assertFalse(items(audit, "records").isEmpty(), "B's audit has B's records: " + audit);
          Reply auditA = http.get(operator, "/api/v1/audit?workspace=ws-a");
          assertFalse(items(auditA, "records").isEmpty(), "A's audit has records: " + auditA);
        });
    // Lists as they show workspace A's objects to an operator, and as B sees them.
    record Listing(String path, String list, String field) {}
    List<Listing> listings =
        List.of(
            new Listing("/api/v1/missions", "missions", "id"),
            new Listing("/api/v1/missions?participant=" + participant, "missions", "id"),
            new Listing("/api/v1/escalations?state=all", "escalations", "id"),
            new Listing("/api/v1/participants", "participants", "id"),
            new Listing("/api/v1/backlog", "missions", "mission_id"),
            new Listing("/api/v1/backlog", "participants", "participant_id"),
            new Listing("/api/v1/tokens", "tokens", "jti"),
            new Listing("/api/v1/devices", "devices", "device_id"));
    for (Listing listing : listings) {
      Reply reply = http.get(b, listing.path());
      for (JsonNode item : items(reply, listing.list())) {
        String id = item.path(listing.field()).asText();
        assertFalse(aIds.contains(id), "B's list shows A's " + id + ": " + reply);
        if (item.has("workspace")) {
          assertEquals(
              "ws-b", item.path("workspace").asText(), "B's list shows only ws-b: " + reply);
        }
      }
      assertFalse(reply.raw().contains("ws-a"), "B's list names workspace A: " + reply);
    }
    Reply backlog = http.get(b, "/api/v1/backlog");
    assertEquals("ws-b", backlog.body().path("workspace").asText(), backlog.toString());
    Reply audit = http.get(b, "/api/v1/audit");
    for (JsonNode record : items(audit, "records")) {
      assertEquals(
          "ws-b", record.path("workspace").asText(), "B's audit shows only ws-b: " + audit);
    }
    // Asking for A's workspace by name: refused, or answered with nothing of A's.
    for (String path :
        List.of(
            "/api/v1/missions?workspace=ws-a",
            "/api/v1/escalations?workspace=ws-a&state=all",
            "/api/v1/participants?workspace=ws-a",
            "/api/v1/backlog?workspace=ws-a",
            "/api/v1/tokens?workspace=ws-a",
            "/api/v1/tokens?subject=sess-a",
            "/api/v1/devices?workspace=ws-a",
            "/api/v1/audit?workspace=ws-a",
            "/api/v1/audit?subject=ws-a")) {
      Reply reply = http.get(b, path);
      if (reply.status() == 403) {
        continue;
      }
      assertEquals(200, reply.status(), "refused (403) or empty: " + reply);
      for (String id : aIds) {
        assertFalse(reply.raw().contains(id), "B's answer shows A's " + id + ": " + reply);
      }
      assertFalse(
          reply.raw().contains("\"workspace\":\"ws-a\""), "nothing of workspace A: " + reply);
    }
  }

  @Test
  void anotherWorkspaceCannotMintEnrollOrSubmitIntoIt() {
    record Refused(String method, String path, String body, int status) {}
    List<Refused> refusals =
        List.of(
            new Refused(
                "POST",
                "/api/v1/tokens",
                "{\"kind\":\"session\",\"subject\":\"s\",\"workspace\":\"ws-a\"}",
                403),
            new Refused(
                "POST",
                "/api/v1/tokens",
                "{\"kind\":\"participant\",\"subject\":\"" + participant + "\"}",
                404),
            new Refused(
                "POST",
                "/api/v1/tokens",
                "{\"kind\":\"participant\",\"subject\":\""
                    + participant
                    + "\",\"workspace\":\"ws-a\"}",
                403),
            new Refused(
                "POST",
                "/api/v1/tokens",
                "{\"kind\":\"device\",\"workspace\":\"ws-a\",\"device_id\":\"phone-a\"}",
                403),
            new Refused(
                "POST",
                "/api/v1/devices",
                "{\"workspace\":\"ws-a\",\"device_id\":\"phone-x\",\"name\":\"x\"}",
                403),
            new Refused(
                "POST",
                "/api/v1/missions",
                "{\"workspace\":\"ws-a\",\"title\":\"t\",\"required_capabilities\":[\"cap-a\"],"
                    + "\"input\":{}}",
                403),
            new Refused(
                "POST",
                "/api/v1/participants",
                "{\"workspace\":\"ws-a\",\"capabilities\":[\"cap-a\"],\"roles\":[\"worker\"]}",
                403));
    for (Refused refused : refusals) {
      Reply reply = http.send(b, refused.method(), refused.path(), refused.body());
      assertEquals(refused.status(), reply.status(), "B acting in workspace A: " + reply);
      assertFalse(reply.body().has("token"), "no token is handed out: " + reply);
    }
    Reply devices = http.get(operator, "/api/v1/devices?workspace=ws-a");
    assertFalse(devices.raw().contains("phone-x"), "no device was registered in ws-a: " + devices);
  }

  @Test
  void aSessionNamedAfterAnotherWorkspacesDeviceLearnsNothingOfIt() {
    revocationBarrier(); // this node has read A's device registration, which came before
    String borrowedSubject = "ws-a:phone:phone-a";
    Reply minted =
        http.post(
            b, "/api/v1/tokens", "{\"kind\":\"session\",\"subject\":\"" + borrowedSubject + "\"}");
    if (minted.status() != 201) {
      assertTrue(
          minted.status() == 400 || minted.status() == 403,
          "B may not name its session after A's device: " + minted);
      return;
    }
    Credential borrowed =
        Credential.bearer(
            "B's session named " + borrowedSubject, minted.body().path("token").asText());
    Reply me = http.get(borrowed, "/api/v1/me");
    assertEquals(200, me.status(), me.toString());
    assertFalse(
        me.raw().contains("A's phone"),
        "B's session token, named after A's device, is told the name of A's device: " + me);
    String requestId = "borrowed-" + UUID.randomUUID();
    Reply submitted =
        http.send(
            borrowed,
            "POST",
            "/api/v1/missions",
            "{\"workspace\":\"ws-b\",\"title\":\"t\",\"required_capabilities\":[\"cap-b\"]}",
            "X-Request-Id",
            requestId);
    assertEquals(201, submitted.status(), submitted.toString());
    JsonNode record =
        Eventually.get(
            WITHIN,
            () -> {
              Reply audit = http.get(b, "/api/v1/audit?limit=500");
              return items(audit, "records").stream()
                  .filter(r -> r.path("request_id").asText().equals(requestId))
                  .findFirst()
                  .orElseThrow(
                      () -> new AssertionError("no record of " + requestId + ": " + audit));
            });
    assertFalse(
        record.toString().contains("A's phone"),
        "B's own audit record names A's device: " + record);
  }

  @Test
  void anotherWorkspaceCannotRevokeAnOperatorOfAnIdentityProvider() {
    Credential alice =
        Credential.bearer("operator alice@corp of idp-test", idp.operator("alice@corp"));
    Reply before = http.get(alice, "/api/v1/missions");
    assertEquals(200, before.status(), "the identity provider's operator is accepted: " + before);

    // B names a session of its own after the operator, then revokes "its" subject.
    Reply minted =
        http.post(b, "/api/v1/tokens", "{\"kind\":\"session\",\"subject\":\"alice@corp\"}");
    Reply revoked = http.delete(b, "/api/v1/subjects/alice@corp/tokens");
    revocationBarrier();
    Reply after = http.get(alice, "/api/v1/missions");
    assertEquals(
        200,
        after.status(),
        "workspace B locked out an operator of the identity provider:\n  "
            + minted
            + "\n  "
            + revoked
            + "\n  "
            + after);
  }
}
