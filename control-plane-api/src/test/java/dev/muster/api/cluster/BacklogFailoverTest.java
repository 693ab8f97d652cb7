package dev.muster.api.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.muster.api.ApiClient.Response;
import dev.muster.testing.Eventually;
import dev.muster.testing.TestDatabase;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A deep backlog on three nodes as separate JVMs on PostgreSQL, and a {@code kill -9} of one of
 * them while a worker drains it: after the failover every mission that was queued is still queued
 * or done — none lost, none escalated — and none was offered twice at once (each attempt of a
 * mission ended before the next began, and each mission succeeded exactly once).
 */
class BacklogFailoverTest {
  private static final int MISSIONS = 60;
  private static final int CAPACITY = 2;
  private static final Duration ALL_DONE = Duration.ofSeconds(180);

  @Test
  void killingANodeWithADeepBacklogLosesNothingAndOffersNothingTwiceAtOnce() throws Exception {
    try (TestDatabase database = TestDatabase.postgres();
        ChildCluster cluster = new ChildCluster(database, "backlog-failover")) {
      List<NodeProcess> nodes = cluster.start(3, "node");
      SpreadClient api =
          new SpreadClient(cluster.httpAddresses(), Duration.ofSeconds(10), Duration.ofSeconds(60));
      Response registered =
          api.post(
              "/api/v1/participants",
              "{\"workspace\":\"ws-deep\",\"capabilities\":[\"code\"],\"max_concurrent_attempts\":"
                  + CAPACITY
                  + "}",
              "deep-worker");
      assertEquals(201, registered.status(), registered.toString());
      String worker = registered.body().get("id").asText();
      List<String> missions = new ArrayList<>();
      for (int i = 0; i < MISSIONS; i++) {
        Response r =
            api.post(
                "/api/v1/missions",
                "{\"workspace\":\"ws-deep\",\"title\":\"t"
                    + i
                    + "\",\"required_capabilities\":[\"code\"]}",
                "deep-" + i);
        assertEquals(201, r.status(), r.toString());
        missions.add(r.body().get("id").asText());
      }

      AtomicInteger completed = new AtomicInteger();
      AtomicInteger mostAtOnce = new AtomicInteger();
      List<String> problems = new CopyOnWriteArrayList<>();
      AtomicBoolean running = new AtomicBoolean(true);
      Thread loop =
          new Thread(
              () -> work(api, worker, running, completed, mostAtOnce, problems), "deep-worker");
      loop.start();
      try {
        Eventually.assertWithin(Duration.ofSeconds(60), () -> assertTrue(completed.get() >= 10));
        int doneAtKill = completed.get();
        long killedAt = System.nanoTime();
        nodes.get(1).kill();
        api.replaceAll(cluster.httpAddresses());
        Eventually.assertWithin(
            ALL_DONE,
            () -> {
              for (String id : missions) {
                Response mission = api.get("/api/v1/missions/" + id);
                assertEquals(200, mission.status(), mission.toString());
                assertEquals("succeeded", mission.body().get("state").asText(), id);
              }
            });
        long drainedMs = (System.nanoTime() - killedAt) / 1_000_000;
        String report =
            String.format(
                "kill -9 of 1 of 3 nodes with %d of %d missions left: all succeeded %d ms later;"
                    + " the worker (capacity %d) held at most %d at once",
                MISSIONS - doneAtKill, MISSIONS, drainedMs, CAPACITY, mostAtOnce.get());
        System.out.println(report);
        Files.writeString(cluster.logDir().resolve("backlog-failover.txt"), report + "\n");
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError(
            e.getMessage() + "\nlogs: " + cluster.logDir() + "\n" + cluster.logTails(), e);
      } finally {
        running.set(false);
        loop.join(15_000);
      }

      for (String id : missions) {
        JsonNode mission = api.get("/api/v1/missions/" + id).body();
        assertEquals(0, mission.get("escalations").size(), id + " escalated: " + mission);
        assertNoOverlappingAttempts(mission);
      }
      assertTrue(problems.isEmpty(), problems.toString());
      assertTrue(
          mostAtOnce.get() <= CAPACITY + 1,
          "held "
              + mostAtOnce.get()
              + " at once (one more than its capacity is the documented"
              + " most, in the moment a dispatcher moves)");
    }
  }

  /** Polls through any live node, acks, holds the offers a moment, completes them. */
  private static void work(
      SpreadClient api,
      String worker,
      AtomicBoolean running,
      AtomicInteger completed,
      AtomicInteger mostAtOnce,
      List<String> problems) {
    Map<String, Integer> held = new HashMap<>();
    while (running.get()) {
      try {
        Response polled = api.get("/api/v1/participants/" + worker + "/inbox?wait=1s&max=50");
        if (polled.status() != 200) {
          continue;
        }
        for (JsonNode m : polled.body().get("messages")) {
          api.post(
              "/api/v1/participants/" + worker + "/inbox/" + m.get("message_id").asText() + "/ack",
              "");
          if (m.get("type").asText().equals("task_offer")) {
            held.put(m.get("mission_id").asText(), m.get("attempt").asInt());
          }
        }
        mostAtOnce.accumulateAndGet(held.size(), Math::max);
        if (held.isEmpty()) {
          continue;
        }
        pauseWhileWorking();
        for (Map.Entry<String, Integer> attempt : held.entrySet()) {
          Response done =
              api.post(
                  "/api/v1/missions/"
                      + attempt.getKey()
                      + "/attempts/"
                      + attempt.getValue()
                      + "/complete",
                  "{\"result\":{}}");
          if (done.status() == 200) {
            completed.incrementAndGet();
          } else if (done.status() != 409) {
            problems.add("complete " + attempt.getKey() + ": " + done);
          }
        }
        held.clear();
      } catch (RuntimeException e) {
        // a node is away: the next request goes to another
      }
    }
  }

  /** The worker's work on an attempt: what keeps the backlog deep while the node dies. */
  private static void pauseWhileWorking() {
    try {
      Thread.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Each attempt ended before the next was offered; exactly one succeeded. */
  private static void assertNoOverlappingAttempts(JsonNode mission) {
    String id = mission.get("id").asText();
    Instant previousEnd = Instant.MIN;
    int succeeded = 0;
    for (JsonNode attempt : mission.get("attempts")) {
      Instant offered = Instant.parse(attempt.get("offered_at").asText());
      assertTrue(!offered.isBefore(previousEnd), id + ": attempts overlap: " + mission);
      JsonNode ended = attempt.get("ended_at");
      previousEnd = ended == null || ended.isNull() ? Instant.MAX : Instant.parse(ended.asText());
      if (attempt.get("state").asText().equals("succeeded")) {
        succeeded++;
      }
    }
    assertEquals(1, succeeded, id + ": " + mission.get("attempts"));
  }
}
