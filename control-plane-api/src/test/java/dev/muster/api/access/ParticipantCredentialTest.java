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
import java.util.List;
import java.util.UUID;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A participant's own credential on a real node: two participants of one workspace with the same
 * capability, a mission offered to one of them (the owner). The other's credential (the stranger's)
 * reaches nothing of the owner's (its inbox, heartbeat, profile, attempt: 404 or 403) and changes
 * nothing; it reaches nothing beyond its own work at all (403 {@code scope_denied}); the owner's
 * credential takes and completes the attempt. Who acts is the token's subject: a {@code from} or
 * {@code actor} in a body is ignored, in the mission and in the audit log; a device token's
 * approval is recorded under the device's subject and name, and its audit record names the device.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ParticipantCredentialTest {
  private static final Duration WITHIN = Duration.ofSeconds(20);
  private static final String WS = "ws-c";

  private TestDatabase database;
  private MusterApplication node;
  private AccessHttp http;
  private final Credential operator = Credential.bearer("operator", TestAuth.operator());
  private final Credential workspace = Credential.bearer("workspace " + WS, TestAuth.workspace(WS));

  @BeforeAll
  void startNode(@TempDir Path dataDir) {
    database = TestDatabase.h2(dataDir);
    node = MusterApplication.start(TestNodes.singleNode(database));
    http = new AccessHttp(node.httpAddress());
  }

  @AfterAll
  void stopNode() throws Exception {
    node.close();
    database.close();
  }

  // Helpers

  private static JsonNode status(int expected, Reply reply, String what) {
    assertEquals(expected, reply.status(), what + ": " + reply);
    return reply.body();
  }

  private record Registered(String id, Credential credential) {}

  private Registered register(String capability) {
    JsonNode body =
        status(
            201,
            http.post(
                workspace,
                "/api/v1/participants",
                "{\"workspace\":\""
                    + WS
                    + "\",\"capabilities\":[\""
                    + capability
                    + "\"],\"roles\":[\"worker\"],\"max_concurrent_attempts\":1}"),
            "registering a participant");
    String id = body.path("id").asText();
    return new Registered(
        id, Credential.bearer("participant " + id, body.path("credential").path("token").asText()));
  }

  private String submit(String capability, String extra) {
    return status(
            201,
            http.post(
                workspace,
                "/api/v1/missions",
                "{\"workspace\":\""
                    + WS
                    + "\",\"title\":\"t\",\"required_capabilities\":[\""
                    + capability
                    + "\"],\"input\":{},\"timeouts\":{\"schedule_to_start_ms\":600000}"
                    + extra
                    + "}"),
            "submitting a mission")
        .path("id")
        .asText();
  }

  private JsonNode mission(String id) {
    return status(200, http.get(operator, "/api/v1/missions/" + id), "reading mission " + id);
  }

  /** The audit record of request {@code requestId}, once the read journal shows it. */
  private JsonNode auditRecord(String subject, String requestId) {
    return Eventually.get(
        WITHIN,
        () -> {
          Reply audit = http.get(operator, "/api/v1/audit?subject=" + subject + "&limit=500");
          for (JsonNode record : items(audit, "records")) {
            if (record.path("request_id").asText().equals(requestId)) {
              return record;
            }
          }
          throw new AssertionError("no audit record of request " + requestId + " in " + audit);
        });
  }

  private static List<JsonNode> items(Reply reply, String list) {
    assertEquals(200, reply.status(), reply.toString());
    return StreamSupport.stream(reply.body().path(list).spliterator(), false).toList();
  }

  private static String requestId(String what) {
    return what + "-" + UUID.randomUUID();
  }

  // Tests

  @Test
  void aParticipantReachesOnlyItsOwnWorkAndTheTokenSubjectIsWhoActs() {
    Registered first = register("cap-c");
    Registered second = register("cap-c");
    String m = submit("cap-c", "");
    JsonNode offered =
        Eventually.get(
            WITHIN,
            () -> {
              JsonNode mission = mission(m);
              assertEquals("offered", mission.path("state").asText(), mission.toString());
              return mission;
            });
    String ownerId = offered.path("attempts").path(0).path("participant_id").asText();
    Registered owner = ownerId.equals(first.id()) ? first : second;
    Registered stranger = owner == first ? second : first;
    assertEquals(ownerId, owner.id(), "the offer went to one of the two: " + offered);

    String messageId =
        Eventually.get(
            WITHIN,
            () -> {
              Reply polled =
                  http.get(
                      owner.credential(), "/api/v1/participants/" + owner.id() + "/inbox?wait=2s");
              for (JsonNode message : items(polled, "messages")) {
                if (message.path("mission_id").asText().equals(m)) {
                  return message.path("message_id").asText();
                }
              }
              throw new AssertionError("the owner has no offer of " + m + " yet: " + polled);
            });

    // The stranger's own work is its own: its heartbeat and inbox answer.
    status(
        200,
        http.post(
            stranger.credential(), "/api/v1/participants/" + stranger.id() + "/heartbeat", "{}"),
        "the stranger's own heartbeat");
    status(
        200,
        http.get(stranger.credential(), "/api/v1/participants/" + stranger.id() + "/inbox"),
        "the stranger's own inbox");

    // The owner's, with the stranger's credential: nothing.
    String p = "/api/v1/participants/" + owner.id();
    String attempt = "/api/v1/missions/" + m + "/attempts/1/";
    record Foreign(String method, String path, String body, int status, String code) {}
    List<Foreign> foreign =
        List.of(
            new Foreign("GET", p + "/inbox", null, 404, "not_found"),
            new Foreign("GET", p + "/inbox?wait=1s", null, 404, "not_found"),
            new Foreign("GET", p + "/inbox/stream", null, 404, "not_found"),
            new Foreign("POST", p + "/inbox/" + messageId + "/ack", "{}", 404, "not_found"),
            new Foreign("POST", p + "/heartbeat", "{}", 404, "not_found"),
            new Foreign("GET", p, null, 403, Access.SCOPE_DENIED),
            new Foreign("POST", attempt + "heartbeat", "{\"progress\":0.5}", 404, "not_found"),
            new Foreign(
                "POST",
                attempt + "complete",
                "{\"result\":{\"by\":\"stranger\"}}",
                404,
                "not_found"),
            new Foreign(
                "POST",
                attempt + "fail",
                "{\"reason\":\"x\",\"retryable\":false,\"cleanup_status\":\"clean\"}",
                404,
                "not_found"),
            new Foreign("POST", attempt + "decline", "{\"reason\":\"x\"}", 404, "not_found"),
            new Foreign(
                "POST",
                attempt + "handoff",
                "{\"target_participant_id\":\"" + stranger.id() + "\"}",
                404,
                "not_found"));
    for (Foreign call : foreign) {
      Reply reply = http.send(stranger.credential(), call.method(), call.path(), call.body());
      assertEquals(call.status(), reply.status(), "another participant's work: " + reply);
      assertEquals(call.code(), reply.code(), reply.toString());
    }
    JsonNode untouched = mission(m);
    assertEquals("offered", untouched.path("state").asText(), "still offered: " + untouched);
    JsonNode attempt1 = untouched.path("attempts").path(0);
    assertEquals("offered", attempt1.path("state").asText(), "not taken: " + untouched);
    assertEquals(owner.id(), attempt1.path("participant_id").asText(), untouched.toString());
    assertEquals(1, untouched.path("attempts").size(), "no other attempt: " + untouched);
    assertTrue(
        untouched.path("result").isMissingNode() || untouched.path("result").isNull(),
        "no result: " + untouched);
    assertEquals(
        offered.path("decisions").toString(),
        untouched.path("decisions").toString(),
        "no decision was taken: " + untouched);

    // The owner's credential takes the attempt and completes it; "from" and "actor" are ignored.
    status(
        200,
        http.post(owner.credential(), p + "/inbox/" + messageId + "/ack", "{}"),
        "the owner acks its offer");
    String completion = requestId("complete");
    Reply completed =
        http.send(
            owner.credential(),
            "POST",
            attempt + "complete",
            "{\"result\":{\"ok\":true},\"from\":\"mallory\",\"actor\":\"mallory\"}",
            "X-Request-Id",
            completion);
    status(200, completed, "the owner completes its attempt");
    assertEquals(
        completion, completed.header("X-Request-Id").orElse(""), "the request id is echoed");
    JsonNode done = mission(m);
    assertEquals("succeeded", done.path("state").asText(), done.toString());
    assertEquals("{\"ok\":true}", done.path("result").toString(), done.toString());
    assertFalse(done.toString().contains("mallory"), "nobody called mallory acted: " + done);

    JsonNode record = auditRecord(owner.id(), completion);
    assertEquals(owner.id(), record.path("subject").asText(), "the audit's subject: " + record);
    assertEquals(
        "/api/v1/missions/{id}/attempts/{n}/complete",
        record.path("route").asText(),
        record.toString());
    assertEquals(200, record.path("status").asInt(), record.toString());
    assertTrue(record.path("targets").toString().contains(m), "the mission is a target: " + record);
    assertEquals(WS, record.path("workspace").asText(), record.toString());
    Reply mallory = http.get(operator, "/api/v1/audit?subject=mallory");
    assertTrue(items(mallory, "records").isEmpty(), "no record under mallory: " + mallory);
  }

  @Test
  void aParticipantCredentialReachesNothingButItsOwnWork() {
    Registered worker = register("cap-only");
    String m = submit("cap-none", "");
    JsonNode before = mission(m);
    String self = "/api/v1/participants/" + worker.id();
    record Call(String method, String path, String body) {}
    List<Call> calls =
        List.of(
            new Call(
                "POST",
                "/api/v1/missions",
                "{\"workspace\":\"" + WS + "\",\"title\":\"t\",\"required_capabilities\":[\"x\"]}"),
            new Call("GET", "/api/v1/missions", null),
            new Call("GET", "/api/v1/missions/" + m, null),
            new Call("GET", "/api/v1/missions/" + m + "/history", null),
            new Call("POST", "/api/v1/missions/" + m + "/cancel", "{\"reason\":\"x\"}"),
            new Call("POST", "/api/v1/missions/" + m + "/approval", "{\"granted\":true}"),
            new Call("GET", "/api/v1/escalations", null),
            new Call("GET", "/api/v1/backlog", null),
            new Call(
                "POST",
                "/api/v1/participants",
                "{\"workspace\":\"" + WS + "\",\"capabilities\":[\"x\"],\"roles\":[\"worker\"]}"),
            new Call("GET", "/api/v1/participants", null),
            new Call("GET", self, null),
            new Call("PATCH", self, "{\"capabilities\":[\"everything\"]}"),
            new Call("POST", self + "/drain", "{}"),
            new Call("POST", self + "/stand-down", "{\"reason\":\"x\"}"),
            new Call("PUT", "/api/v1/budgets/b-1", "{\"limit\":1}"),
            new Call("GET", "/api/v1/budgets/b-1", null),
            new Call("POST", "/api/v1/tokens", "{\"kind\":\"participant\",\"subject\":\"x\"}"),
            new Call("GET", "/api/v1/tokens", null),
            new Call("DELETE", "/api/v1/tokens/t-1", null),
            new Call("DELETE", "/api/v1/subjects/" + worker.id() + "/tokens", null),
            new Call("POST", "/api/v1/devices", "{\"device_id\":\"d\",\"name\":\"d\"}"),
            new Call("GET", "/api/v1/devices", null),
            new Call("GET", "/api/v1/keys", null),
            new Call("POST", "/api/v1/keys/rotate", "{}"),
            new Call("GET", "/api/v1/audit", null));
    for (Call call : calls) {
      Reply reply = http.send(worker.credential(), call.method(), call.path(), call.body());
      assertEquals(
          403, reply.status(), "a participant's credential is for its work only: " + reply);
      assertEquals(Access.SCOPE_DENIED, reply.code(), reply.toString());
    }
    Reply me = http.get(worker.credential(), "/api/v1/me");
    assertEquals(200, me.status(), me.toString());
    assertEquals(worker.id(), me.body().path("subject").asText(), me.toString());
    assertEquals("participant", me.body().path("kind").asText(), me.toString());
    assertEquals("[\"work\"]", me.body().path("scopes").toString(), me.toString());
    JsonNode still = mission(m);
    assertEquals(
        before.path("state").asText() + " " + before.path("decisions"),
        still.path("state").asText() + " " + still.path("decisions"),
        "the mission is as it was: " + still);
    Reply profile = http.get(operator, self);
    assertEquals(
        "[\"cap-only\"]", profile.body().path("capabilities").toString(), profile.toString());
    assertEquals("active", profile.body().path("status").asText(), profile.toString());
  }

  @Test
  void aCancelIsRecordedUnderTheTokenSubjectWhateverTheBodySays() {
    String m = submit("cap-none", "");
    String cancel = requestId("cancel");
    Reply cancelled =
        http.send(
            workspace,
            "POST",
            "/api/v1/missions/" + m + "/cancel",
            "{\"reason\":\"no longer needed\",\"from\":\"mallory\",\"actor\":\"mallory\"}",
            "X-Request-Id",
            cancel);
    status(200, cancelled, "cancelling with a from and an actor in the body");
    JsonNode mission = mission(m);
    assertEquals("cancelled", mission.path("state").asText(), mission.toString());
    assertFalse(mission.toString().contains("mallory"), "mallory is not who cancelled: " + mission);
    assertTrue(
        StreamSupport.stream(mission.path("decisions").spliterator(), false)
            .anyMatch(d -> d.path("reason").asText().contains("(by " + WS + ")")),
        "the cancel's decision names the token's subject " + WS + ": " + mission);
    JsonNode record = auditRecord(WS, cancel);
    assertEquals(WS, record.path("subject").asText(), record.toString());
    assertEquals("/api/v1/missions/{id}/cancel", record.path("route").asText(), record.toString());
    Reply mallory = http.get(operator, "/api/v1/audit?subject=mallory");
    assertTrue(items(mallory, "records").isEmpty(), "no record under mallory: " + mallory);
  }

  @Test
  void aDeviceApprovalIsRecordedUnderTheDeviceAndItsAuditRecordNamesIt() {
    status(
        201,
        http.post(
            operator,
            "/api/v1/devices",
            "{\"workspace\":\"" + WS + "\",\"device_id\":\"phone-1\",\"name\":\"Ada's phone\"}"),
        "registering a device");
    JsonNode minted =
        status(
            201,
            http.post(
                operator,
                "/api/v1/tokens",
                "{\"kind\":\"device\",\"workspace\":\"" + WS + "\",\"device_id\":\"phone-1\"}"),
            "minting the device's token");
    String subject = WS + ":phone:phone-1";
    assertEquals(subject, minted.path("subject").asText(), minted.toString());
    Credential device = Credential.bearer("device " + subject, minted.path("token").asText());
    // This node knows the device's name once it has read the registration from the journal.
    Eventually.assertWithin(
        WITHIN,
        () -> {
          Reply me = http.get(device, "/api/v1/me");
          assertEquals("Ada's phone", me.body().path("device_name").asText(), me.toString());
        });

    String m = submit("cap-none", ",\"approval_policy\":{\"required\":true}");
    JsonNode waiting = mission(m);
    assertEquals("awaiting_approval", waiting.path("state").asText(), waiting.toString());
    String approval = requestId("approve");
    Reply approved =
        http.send(
            device,
            "POST",
            "/api/v1/missions/" + m + "/approval",
            "{\"granted\":true,\"note\":\"looks right\",\"from\":\"mallory\",\"actor\":\"mallory\"}",
            "X-Request-Id",
            approval);
    status(200, approved, "the device approves");
    JsonNode mission = mission(m);
    assertEquals(subject, mission.path("approval").path("by").asText(), "the approver: " + mission);
    assertEquals(
        "Ada's phone",
        mission.path("approval").path("by_device").asText(),
        "the approver's device: " + mission);
    assertTrue(mission.path("approval").path("granted").asBoolean(), mission.toString());
    assertFalse(mission.toString().contains("mallory"), mission.toString());

    JsonNode record = auditRecord(subject, approval);
    assertEquals(subject, record.path("subject").asText(), record.toString());
    assertEquals(
        "Ada's phone", record.path("device_name").asText(), "the device's name: " + record);
    assertEquals(WS, record.path("workspace").asText(), record.toString());
    assertEquals(
        "/api/v1/missions/{id}/approval", record.path("route").asText(), record.toString());
    assertEquals(200, record.path("status").asInt(), record.toString());
  }
}
