package dev.muster.api.participants;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.muster.api.ApiClient;
import dev.muster.api.ApiClient.Response;
import dev.muster.api.MusterApplication;
import dev.muster.api.TestNodes;
import dev.muster.testing.Eventually;
import dev.muster.testing.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet of workers against a real node over real HTTP (H2): they join, receive and complete work;
 * one goes silent and becomes offline, then comes back with a heartbeat; one drains (no new offers,
 * finishes what it holds) and stands down, learning it from its inbox. Then the node stops and
 * starts again on the same data: a pending offer is still delivered.
 */
class FleetTest {
  private static final Duration WITHIN = Duration.ofSeconds(30);
  private static final String WORKSPACE = "ws-fleet";

  /** Short liveness so that silence shows within seconds; the index reads the journal fast. */
  private static Config fleetConfig(TestDatabase database) {
    return ConfigFactory.parseMap(
            Map.of(
                "muster.registry.liveness-window", "4s",
                "muster.registry.heartbeat-record-interval", "500ms",
                "jdbc-read-journal.refresh-interval", "100ms"))
        .withFallback(TestNodes.singleNode(database));
  }

  @Test
  void aFleetJoinsWorksGoesSilentComesBackDrainsStandsDownAndSurvivesARestart(@TempDir Path dataDir)
      throws Exception {
    try (TestDatabase database = TestDatabase.h2(dataDir)) {
      Config config = fleetConfig(database);
      String pendingOwner;
      String pendingMessage;
      String pendingMission;
      List<Worker> fleet = new ArrayList<>();
      try (MusterApplication node = MusterApplication.start(config)) {
        ApiClient api = new ApiClient(node.httpAddress());
        for (int i = 1; i <= 3; i++) {
          fleet.add(Worker.join(api, "worker-" + i));
        }
        Worker w1 = fleet.get(0);
        Worker w2 = fleet.get(1);
        Worker w3 = fleet.get(2);
        awaitStatus(api, Set.of(w1.id, w2.id, w3.id), "active");

        // They receive and complete work.
        List<String> missions = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
          missions.add(submit(api));
        }
        for (String mission : missions) {
          awaitSucceeded(api, mission);
        }
        // A worker counts a completion once its answer is back, which may be after the mission
        // reads succeeded (the answer waits for the request's audit record too).
        Eventually.assertWithin(
            WITHIN, () -> assertEquals(6, fleet.stream().mapToInt(w -> w.completed.size()).sum()));

        // One goes silent: offline once the liveness window has passed, and offered nothing.
        w3.silence();
        Eventually.assertWithin(WITHIN, () -> assertEquals("offline", status(api, w3.id)));
        awaitListed(api, "offline", w3.id);
        int w3Offers = w3.offers.size();
        String whileSilent = submit(api);
        awaitSucceeded(api, whileSilent);
        assertEquals(w3Offers, w3.offers.size(), "an offline worker gets no offers");

        // ...and comes back with a heartbeat.
        Response back = api.post("/api/v1/participants/" + w3.id + "/heartbeat", "");
        assertEquals("active", back.body().get("status").asText(), back.body().toString());
        w3.speak();
        awaitListed(api, "active", w3.id);

        // One drains while it holds work: no new offers, its current work is finished.
        w1.hold.set(true);
        String held = null;
        for (int i = 0; i < 10 && held == null; i++) {
          String mission = submit(api);
          Eventually.assertWithin(
              WITHIN,
              () ->
                  assertTrue(
                      w1.holding.containsKey(mission) || succeeded(api, mission),
                      "mission " + mission + " neither held by worker-1 nor succeeded"));
          held = w1.holding.containsKey(mission) ? mission : null;
        }
        assertTrue(held != null, "worker-1 was offered a mission to hold");
        Response drained = api.post("/api/v1/participants/" + w1.id + "/drain", "");
        assertEquals("draining", drained.body().get("status").asText());
        awaitListed(api, "draining", w1.id);
        int w1Offers = w1.offers.size();
        List<String> afterDrain = List.of(submit(api), submit(api), submit(api));
        for (String mission : afterDrain) {
          awaitSucceeded(api, mission);
        }
        assertEquals(w1Offers, w1.offers.size(), "a draining worker gets no new offers");
        w1.hold.set(false);
        awaitSucceeded(api, held);

        Response stood =
            api.post(
                "/api/v1/participants/" + w1.id + "/stand-down", "{\"reason\":\"scale down\"}");
        assertEquals("stood_down", stood.body().get("status").asText(), stood.body().toString());
        Eventually.assertWithin(WITHIN, () -> assertTrue(w1.stoppedBy.get() != null));
        assertEquals("scale down", w1.stoppedBy.get());

        // The rest stop; a mission offered to one of them is left pending across the restart.
        w2.stop();
        w3.stop();
        pendingMission = submit(api);
        Optional<JsonNode> offer = Optional.empty();
        String owner = null;
        long deadline = System.nanoTime() + WITHIN.toNanos();
        while (offer.isEmpty() && System.nanoTime() < deadline) {
          for (Worker w : List.of(w2, w3)) {
            Optional<JsonNode> found = w.peekOffer(api, pendingMission);
            if (found.isPresent()) {
              offer = found;
              owner = w.id;
            }
          }
        }
        assertTrue(offer.isPresent(), "the pending mission was offered");
        pendingOwner = owner;
        pendingMessage = offer.get().get("message_id").asText();
      }

      try (MusterApplication restarted = MusterApplication.start(config)) {
        ApiClient api = new ApiClient(restarted.httpAddress());
        Response delivered =
            api.get("/api/v1/participants/" + pendingOwner + "/inbox?wait=20s&max=10");
        assertEquals(200, delivered.status(), delivered.body().toString());
        List<String> ids = new ArrayList<>();
        delivered.body().get("messages").forEach(m -> ids.add(m.get("message_id").asText()));
        assertTrue(ids.contains(pendingMessage), "the pending offer survives: " + ids);
        assertEquals(
            200,
            api.post(
                    "/api/v1/participants/" + pendingOwner + "/inbox/" + pendingMessage + "/ack",
                    "")
                .status());
        JsonNode attempt = api.get("/api/v1/missions/" + pendingMission).body();
        int number =
            attempt.get("attempts").get(attempt.get("attempts").size() - 1).get("attempt").asInt();
        Response completed =
            api.post(
                "/api/v1/missions/" + pendingMission + "/attempts/" + number + "/complete",
                "{\"result\":{\"ok\":true}}");
        assertEquals(200, completed.status(), completed.body().toString());
        awaitSucceeded(api, pendingMission);
        assertEquals("stood_down", status(api, fleet.get(0).id));
      }
    }
  }

  private static String submit(ApiClient api) {
    Response submitted =
        api.post(
            "/api/v1/missions",
            "{\"workspace\":\""
                + WORKSPACE
                + "\",\"title\":\"t\",\"required_capabilities\":[\"fleet\"],\"input\":{}}");
    assertTrue(submitted.status() / 100 == 2, submitted.body().toString());
    return submitted.body().get("id").asText();
  }

  private static boolean succeeded(ApiClient api, String mission) {
    return "succeeded".equals(api.get("/api/v1/missions/" + mission).body().get("state").asText());
  }

  private static void awaitSucceeded(ApiClient api, String mission) {
    Eventually.assertWithin(WITHIN, () -> assertTrue(succeeded(api, mission), mission));
  }

  private static String status(ApiClient api, String participant) {
    return api.get("/api/v1/participants/" + participant).body().get("status").asText();
  }

  private static void awaitStatus(ApiClient api, Set<String> ids, String status) {
    for (String id : ids) {
      awaitListed(api, status, id);
    }
  }

  /** Until the listing (the capability index) shows the participant with that status. */
  private static void awaitListed(ApiClient api, String status, String id) {
    Eventually.assertWithin(
        WITHIN,
        () -> {
          Response page =
              api.get(
                  "/api/v1/participants?workspace="
                      + WORKSPACE
                      + "&status="
                      + status
                      + "&limit=50");
          List<String> ids = new ArrayList<>();
          page.body().get("participants").forEach(p -> ids.add(p.get("id").asText()));
          assertTrue(ids.contains(id), status + ": " + ids);
        });
  }

  /**
   * An in-test worker: heartbeats (unless silent), long-polls its inbox, acks offers and completes
   * them (unless told to hold them), and stops on a stand_down message.
   */
  static final class Worker {
    final String id;
    private volatile CountDownLatch speaking = new CountDownLatch(0);
    final AtomicBoolean hold = new AtomicBoolean();
    final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicReference<String> stoppedBy = new AtomicReference<>();
    final List<String> offers = new CopyOnWriteArrayList<>();
    final List<String> completed = new CopyOnWriteArrayList<>();
    final Map<String, Integer> holding = new ConcurrentHashMap<>();
    private final ApiClient api;
    private final Thread thread;

    private Worker(ApiClient api, String id, String name) {
      this.api = api;
      this.id = id;
      this.thread = new Thread(this::run, name);
      thread.setDaemon(true);
    }

    static Worker join(ApiClient api, String name) {
      Response registered =
          api.post(
              "/api/v1/participants",
              "{\"workspace\":\""
                  + WORKSPACE
                  + "\",\"kind\":\"fleet_worker\",\"capabilities\":[\"fleet\"],"
                  + "\"boundaries\":{\"max_concurrent_attempts\":2}}");
      assertEquals(201, registered.status(), registered.body().toString());
      Worker worker = new Worker(api, registered.body().get("id").asText(), name);
      worker.thread.start();
      return worker;
    }

    /** Stops heartbeating and polling until {@link #speak}. */
    void silence() {
      speaking = new CountDownLatch(1);
    }

    void speak() {
      speaking.countDown();
    }

    void stop() throws InterruptedException {
      running.set(false);
      speak();
      thread.join(WITHIN.toMillis());
      assertFalse(thread.isAlive(), thread.getName() + " stopped");
    }

    /** Long-polls once for an offer of {@code mission}, leaving it un-acked (pending). */
    Optional<JsonNode> peekOffer(ApiClient api, String mission) {
      Response polled = api.get("/api/v1/participants/" + id + "/inbox?wait=1s&max=10");
      for (JsonNode m : polled.body().get("messages")) {
        if (mission.equals(m.path("mission_id").asText())) {
          return Optional.of(m);
        }
      }
      return Optional.empty();
    }

    private void run() {
      String base = "/api/v1/participants/" + id;
      while (running.get()) {
        awaitSpeaking();
        if (!running.get()) {
          return;
        }
        api.post(base + "/heartbeat", "");
        Response polled = api.get(base + "/inbox?wait=300ms&max=10");
        if (polled.status() != 200) {
          continue;
        }
        for (JsonNode message : polled.body().get("messages")) {
          handle(base, message);
        }
        finishHeld();
      }
    }

    private void handle(String base, JsonNode message) {
      String type = message.get("type").asText();
      api.post(base + "/inbox/" + message.get("message_id").asText() + "/ack", "");
      if ("stand_down".equals(type)) {
        stoppedBy.set(message.get("payload").get("reason").asText());
        running.set(false);
      } else if ("task_offer".equals(type)) {
        String mission = message.get("mission_id").asText();
        offers.add(mission);
        holding.put(mission, message.get("attempt").asInt());
      }
    }

    private void finishHeld() {
      if (hold.get()) {
        return;
      }
      for (Map.Entry<String, Integer> held : Map.copyOf(holding).entrySet()) {
        Response done =
            api.post(
                "/api/v1/missions/" + held.getKey() + "/attempts/" + held.getValue() + "/complete",
                "{\"result\":{\"by\":\"" + id + "\"}}");
        if (done.status() / 100 == 2) {
          holding.remove(held.getKey());
          completed.add(held.getKey());
        }
      }
    }

    private void awaitSpeaking() {
      try {
        speaking.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        running.set(false);
      }
    }
  }
}
