package dev.muster.api.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.muster.api.ApiClient;
import dev.muster.api.ApiClient.Response;
import dev.muster.api.MusterApplication;
import dev.muster.testing.Eventually;
import dev.muster.testing.TestDatabase;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The backlog across three nodes in one JVM on PostgreSQL, as the issue that asked for it put it:
 * one worker with room for one, talking to node 2 only; thirty missions submitted through all three
 * nodes in turn. Every mission completes, in the order it was submitted, and none escalates.
 */
class BacklogClusterTest {
  private static final Duration CLUSTER_FORMS = Duration.ofSeconds(60);
  private static final int MISSIONS = 30;

  @Test
  void oneWorkerOnNodeTwoCompletesThirtyMissionsSubmittedThroughAllThreeInTurn() throws Exception {
    List<MusterApplication> nodes = new ArrayList<>();
    try (TestDatabase database = TestDatabase.postgres()) {
      try {
        ClusterNodes.startInJvm(database, 3, nodes, CLUSTER_FORMS);
        List<InetSocketAddress> addresses =
            nodes.stream().map(MusterApplication::httpAddress).toList();
        SpreadClient spread = new SpreadClient(addresses, Duration.ofSeconds(30), Duration.ZERO);
        ApiClient nodeTwo = new ApiClient(addresses.get(1));

        Response registered =
            nodeTwo.post(
                "/api/v1/participants",
                "{\"workspace\":\"ws-3\",\"capabilities\":[\"code\"],\"max_concurrent_attempts\":1}");
        assertEquals(201, registered.status(), registered.toString());
        String worker = registered.body().get("id").asText();

        record Submitted(String id, Instant at) {}
        List<Submitted> submitted = new ArrayList<>();
        for (int i = 0; i < MISSIONS; i++) {
          Response r =
              spread.post(
                  "/api/v1/missions",
                  "{\"workspace\":\"ws-3\",\"title\":\"t"
                      + i
                      + "\",\"required_capabilities\":[\"code\"]}",
                  "ws-3-" + i);
          assertEquals(201, r.status(), r.toString());
          submitted.add(
              new Submitted(
                  r.body().get("id").asText(),
                  Instant.parse(r.body().get("submitted_at").asText())));
        }

        List<String> offered = new CopyOnWriteArrayList<>();
        List<String> problems = new CopyOnWriteArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        Thread loop =
            new Thread(
                () -> {
                  while (running.get() && offered.size() < MISSIONS) {
                    Response polled =
                        nodeTwo.get("/api/v1/participants/" + worker + "/inbox?wait=2s&max=10");
                    if (polled.status() != 200) {
                      problems.add(polled.toString());
                      continue;
                    }
                    JsonNode messages = polled.body().get("messages");
                    if (messages.size() > 1) {
                      problems.add("more than its capacity at once: " + messages);
                    }
                    for (JsonNode m : messages) {
                      nodeTwo.post(
                          "/api/v1/participants/"
                              + worker
                              + "/inbox/"
                              + m.get("message_id").asText()
                              + "/ack",
                          "");
                      String mission = m.get("mission_id").asText();
                      offered.add(mission);
                      Response done =
                          nodeTwo.post(
                              "/api/v1/missions/"
                                  + mission
                                  + "/attempts/"
                                  + m.get("attempt").asInt()
                                  + "/complete",
                              "{\"result\":{}}");
                      if (done.status() != 200) {
                        problems.add(done.toString());
                      }
                    }
                  }
                },
                "node-two-worker");
        loop.start();
        try {
          Eventually.assertWithin(
              Duration.ofSeconds(120), () -> assertEquals(MISSIONS, offered.size()));
        } finally {
          running.set(false);
          loop.join(10_000);
        }
        assertTrue(problems.isEmpty(), problems.toString());
        List<String> inTurn =
            submitted.stream()
                .sorted(Comparator.comparing(Submitted::at).thenComparing(Submitted::id))
                .map(Submitted::id)
                .toList();
        assertEquals(inTurn, offered, "completed in the order they were submitted");
        for (Submitted m : submitted) {
          JsonNode mission = spread.get("/api/v1/missions/" + m.id()).body();
          assertEquals("succeeded", mission.get("state").asText(), m.id());
          assertEquals(0, mission.get("escalations").size(), m.id());
        }
      } finally {
        ClusterNodes.close(nodes);
      }
    }
  }
}
