package dev.muster.api.participants;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.typesafe.config.ConfigFactory;
import dev.muster.api.ApiClient;
import dev.muster.api.ApiClient.Response;
import dev.muster.api.MusterApplication;
import dev.muster.api.TestNodes;
import dev.muster.config.json.Json;
import dev.muster.registry.inbox.Inbox;
import dev.muster.testing.Eventually;
import dev.muster.testing.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The inbox as Server-Sent Events over real HTTP: each message one event with its seq as id and the
 * long poll's JSON as data; a client that disconnects and resumes with Last-Event-ID misses nothing
 * and sees nothing twice; heartbeats keep a quiet stream alive.
 */
class InboxStreamTest {
  private static final Duration WITHIN = Duration.ofSeconds(20);
  private static final Duration QUIET = Duration.ofMillis(1500);

  @Test
  void resumesWithLastEventIdWithoutMissingOrRepeatingAMessage(@TempDir Path dataDir)
      throws Exception {
    try (TestDatabase database = TestDatabase.h2(dataDir);
        MusterApplication node =
            MusterApplication.start(
                ConfigFactory.parseMap(
                        Map.of(
                            "muster.http.inbox-stream.heartbeat-interval", "300ms",
                            "muster.http.inbox-stream.poll-wait", "2s"))
                    .withFallback(TestNodes.singleNode(database)))) {
      ApiClient api = new ApiClient(node.httpAddress());
      Response registered =
          api.post("/api/v1/participants", "{\"workspace\":\"ws-sse\",\"capabilities\":[\"x\"]}");
      String id = registered.body().get("id").asText();
      String stream = "/api/v1/participants/" + id + "/inbox/stream";
      for (int i = 1; i <= 3; i++) {
        enqueue(node, id, "m-" + i);
      }

      List<SseClient.Event> seen = new ArrayList<>();
      try (SseClient first = SseClient.open(api.uri(stream))) {
        assertEquals(200, first.status());
        assertTrue(first.contentType().startsWith("text/event-stream"), first.contentType());
        for (int i = 0; i < 3; i++) {
          seen.add(first.next(WITHIN));
        }
        enqueue(node, id, "m-4"); // arrives while the client is connected
        seen.add(first.next(WITHIN));
        Eventually.assertWithin(WITHIN, () -> assertTrue(first.heartbeats() > 0));
      }
      assertEquals(List.of("1", "2", "3", "4"), seen.stream().map(SseClient.Event::id).toList());
      JsonNode data = Json.mapper().readTree(seen.get(0).data());
      assertEquals("m-1", data.get("message_id").asText());
      assertEquals(1, data.get("seq").asLong());
      assertEquals("handoff", data.get("type").asText());
      assertEquals("m-1", data.get("payload").get("note").asText());

      // While the client is away, two more messages arrive.
      enqueue(node, id, "m-5");
      enqueue(node, id, "m-6");

      String lastEventId = seen.get(seen.size() - 1).id();
      try (SseClient resumed = SseClient.open(api.uri(stream), "Last-Event-ID", lastEventId)) {
        assertEquals(200, resumed.status());
        List<SseClient.Event> after = new ArrayList<>();
        after.add(resumed.next(WITHIN));
        after.add(resumed.next(WITHIN));
        after.addAll(resumed.drain(QUIET));
        assertEquals(List.of("5", "6"), after.stream().map(SseClient.Event::id).toList());
        assertEquals(
            List.of("m-5", "m-6"),
            after.stream().map(e -> messageId(e.data())).toList(),
            "each message once, in order");
        enqueue(node, id, "m-7");
        assertEquals("m-7", messageId(resumed.next(WITHIN).data()));
      }

      // Streamed messages are acked like polled ones; a stream from the start shows what is left.
      for (int i = 1; i <= 6; i++) {
        Response ack = api.post("/api/v1/participants/" + id + "/inbox/m-" + i + "/ack", "");
        assertEquals(200, ack.status(), ack.body().toString());
      }
      try (SseClient again = SseClient.open(api.uri(stream))) {
        assertEquals("m-7", messageId(again.next(WITHIN).data()));
        assertEquals(List.of(), again.drain(QUIET));
      }

      Response badId =
          api.send(
              java.net.http.HttpRequest.newBuilder(api.uri(stream))
                  .header("Last-Event-ID", "not-a-seq")
                  .GET());
      assertEquals(400, badId.status(), badId.body().toString());
      assertEquals("invalid_request", badId.body().get("error").get("code").asText());
    }
  }

  private static String messageId(String data) {
    try {
      return Json.mapper().readTree(data).get("message_id").asText();
    } catch (java.io.IOException e) {
      throw new AssertionError("not JSON: " + data, e);
    }
  }

  private static void enqueue(MusterApplication node, String participantId, String messageId)
      throws Exception {
    var payload = JsonNodeFactory.instance.objectNode().put("note", messageId);
    Inbox.Draft draft = new Inbox.Draft(messageId, Inbox.MessageType.HANDOFF, "", 0, payload);
    Inbox.EnqueueResult result =
        ClusterSharding.get(node.system())
            .entityRefFor(Inbox.ENTITY_TYPE_KEY, participantId)
            .<Inbox.EnqueueResult>askWithStatus(
                replyTo -> new Inbox.Enqueue(draft, replyTo), Duration.ofSeconds(10))
            .toCompletableFuture()
            .get();
    assertInstanceOf(Inbox.Accepted.class, result);
  }
}
