package dev.muster.api.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.muster.api.ApiClient.Response;
import dev.muster.testing.Eventually;
import dev.muster.testing.TestDatabase;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every node of a 3-node cluster is killed (SIGKILL) with missions in flight, and a new cluster is
 * started on the same database: a mission that was running is completed, an offer that waited in an
 * inbox is delivered, and a mission that waited for a capable participant is offered once one
 * registers.
 */
class RestartAllNodesTest {
  private static final Duration WITHIN = Duration.ofSeconds(60);

  @Test
  void unfinishedMissionsResumeAfterTheWholeClusterRestarts() throws Exception {
    try (TestDatabase database = TestDatabase.postgres();
        ChildCluster cluster = new ChildCluster(database, "restart-all")) {
      cluster.start(3, "first");
      SpreadClient api =
          new SpreadClient(cluster.httpAddresses(), Duration.ofSeconds(10), Duration.ofSeconds(60));
      try {
        String alpha = register(api, "alpha", "worker-alpha");

        // running: offered, delivered and acked, not completed
        String running = submit(api, "alpha", "running");
        JsonNode offer = pollOne(api, alpha);
        assertEquals(running, offer.get("mission_id").asText());
        assertEquals(200, ack(api, alpha, offer).status());
        awaitState(api, running, "running");

        // offered: the offer waits in the inbox, not yet delivered
        String offered = submit(api, "alpha", "offered");
        awaitState(api, offered, "offered");

        // queued: nobody can take it yet
        String queued = submit(api, "beta", "queued");
        awaitState(api, queued, "queued");

        cluster.killAll();
        cluster.start(3, "second");
        api.replaceAll(cluster.httpAddresses());

        // The waiting offer is delivered again by the recovered inbox.
        JsonNode again = pollOne(api, alpha);
        assertEquals(offered, again.get("mission_id").asText());
        assertEquals(200, ack(api, alpha, again).status());
        assertEquals(200, complete(api, again.get("mission_id").asText(), 1).status());
        assertEquals(200, complete(api, running, 1).status());
        awaitState(api, offered, "succeeded");
        awaitState(api, running, "succeeded");

        // The queued mission is offered once a capable participant registers, without anyone
        // touching the mission itself.
        String beta = register(api, "beta", "worker-beta");
        JsonNode late = pollOne(api, beta);
        assertEquals(queued, late.get("mission_id").asText());
        assertEquals(200, ack(api, beta, late).status());
        assertEquals(200, complete(api, queued, late.get("attempt").asInt()).status());
        awaitState(api, queued, "succeeded");
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError(e.getMessage() + "\nlogs: " + cluster.logDir(), e);
      }
    }
  }

  private static String register(SpreadClient api, String capability, String key) {
    Response registered =
        api.post(
            "/api/v1/participants",
            "{\"workspace\":\"ws-1\",\"capabilities\":[\""
                + capability
                + "\"],\"roles\":[\"worker\"],\"max_concurrent_attempts\":10}",
            key);
    assertEquals(201, registered.status(), registered.body().toString());
    return registered.body().get("id").asText();
  }

  private static String submit(SpreadClient api, String capability, String title) {
    Response submitted =
        api.post(
            "/api/v1/missions",
            "{\"workspace\":\"ws-1\",\"title\":\""
                + title
                + "\",\"required_capabilities\":[\""
                + capability
                + "\"],\"input\":{}}",
            title);
    assertEquals(201, submitted.status(), submitted.body().toString());
    return submitted.body().get("id").asText();
  }

  private static JsonNode pollOne(SpreadClient api, String participant) {
    return Eventually.get(
        WITHIN,
        () -> {
          Response delivery =
              api.get("/api/v1/participants/" + participant + "/inbox?wait=5s&max=1");
          assertEquals(200, delivery.status(), delivery.body().toString());
          JsonNode messages = delivery.body().get("messages");
          assertEquals(1, messages.size(), "no message yet for " + participant);
          return messages.get(0);
        });
  }

  private static Response ack(SpreadClient api, String participant, JsonNode message) {
    return api.post(
        "/api/v1/participants/"
            + participant
            + "/inbox/"
            + message.get("message_id").asText()
            + "/ack",
        "");
  }

  private static Response complete(SpreadClient api, String mission, int attempt) {
    return api.post(
        "/api/v1/missions/" + mission + "/attempts/" + attempt + "/complete",
        "{\"result\":{\"ok\":true}}");
  }

  private static void awaitState(SpreadClient api, String mission, String state) {
    Map<String, String> last = new HashMap<>();
    Eventually.assertWithin(
        WITHIN,
        () -> {
          Response got = api.get("/api/v1/missions/" + mission);
          last.put(mission, String.valueOf(got.body()));
          assertEquals(state, got.body().get("state").asText(), got.body().toString());
        });
  }
}
