package dev.muster.api.backlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backlog as users live it, on one real node (H2, real HTTP): more work than workers. Missions
 * wait in priority-then-FIFO order and each goes out the moment a capable worker has room; nothing
 * escalates while capable workers are only busy; nobody capable escalates after schedule-to-start;
 * a flood in one workspace does not hold back another's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BacklogDrainTest {
  private static final Duration DRAIN = Duration.ofSeconds(120);

  /** How long a capable idle worker may wait while work it can take waits (busy CI included). */
  private static final long HAND_OVER_BOUND_MS = 2_000;

  @TempDir static Path dataDir;
  private TestDatabase database;
  private MusterApplication node;
  private ApiClient api;
  private final List<SerialWorker> workers = new ArrayList<>();

  @BeforeAll
  void start() {
    database = TestDatabase.h2(dataDir);
    node =
        MusterApplication.start(
            TestNodes.restartable(
                database,
                Map.of(
                    "muster.db.query-refresh-interval", "50ms",
                    "muster.dispatch.settle", "200ms")));
    api = new ApiClient(node.httpAddress());
  }

  @AfterAll
  void stop() throws Exception {
    for (SerialWorker worker : workers) {
      worker.close();
    }
    node.close();
    database.close();
  }

  private SerialWorker worker(String workspace, Set<String> capabilities, int capacity) {
    SerialWorker worker =
        new SerialWorker(node.httpAddress(), workspace, capabilities, capacity, 0);
    workers.add(worker);
    return worker;
  }

  /** A submitted mission, with what orders it in the backlog. */
  record Submitted(String id, int priority, Instant submittedAt, Set<String> capabilities) {}

  private Submitted submit(String workspace, Set<String> capabilities, int priority, String extra) {
    Response r =
        api.post(
            "/api/v1/missions",
            "{\"workspace\":\""
                + workspace
                + "\",\"title\":\"t\",\"required_capabilities\":"
                + capabilities.stream().map(c -> "\"" + c + "\"").toList()
                + ",\"priority\":"
                + priority
                + extra
                + "}");
    assertEquals(201, r.status(), r.toString());
    return new Submitted(
        r.body().get("id").asText(),
        priority,
        Instant.parse(r.body().get("submitted_at").asText()),
        capabilities);
  }

  private JsonNode mission(String id) {
    Response r = api.get("/api/v1/missions/" + id);
    assertEquals(200, r.status(), r.toString());
    return r.body();
  }

  /**
   * Waits until the read side lists every one of {@code missions} as succeeded, then checks each.
   */
  private void awaitAllSucceeded(List<Submitted> missions) {
    Set<String> ids = new HashSet<>();
    missions.forEach(m -> ids.add(m.id()));
    String workspace = mission(missions.get(0).id()).get("workspace").asText();
    Eventually.assertWithin(
        DRAIN,
        () -> {
          Set<String> succeeded = new HashSet<>();
          String cursor = null;
          do {
            Response page =
                api.get(
                    "/api/v1/missions?workspace="
                        + workspace
                        + "&state=succeeded&limit=500"
                        + (cursor == null ? "" : "&cursor=" + cursor));
            page.body().get("missions").forEach(m -> succeeded.add(m.get("id").asText()));
            JsonNode next = page.body().get("next_cursor");
            cursor = next == null || next.isNull() ? null : next.asText();
          } while (cursor != null);
          assertTrue(succeeded.containsAll(ids), (ids.size() - succeeded.size()) + " to go");
        });
    for (Submitted m : missions) {
      assertEquals("succeeded", mission(m.id()).get("state").asText(), m.id());
    }
  }

  /** {@code each} of {@code items} on 8 threads (submissions batch into fewer journal writes). */
  private static <T, R> List<R> inParallel(List<T> items, java.util.function.Function<T, R> each) {
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      List<java.util.concurrent.Future<R>> futures = new ArrayList<>();
      items.forEach(item -> futures.add(pool.submit(() -> each.apply(item))));
      List<R> results = new ArrayList<>();
      for (java.util.concurrent.Future<R> future : futures) {
        results.add(future.get());
      }
      return results;
    } catch (Exception e) {
      throw new AssertionError(e);
    } finally {
      pool.shutdownNow();
    }
  }

  /** The order the backlog promises: priority (higher first), submission, id. */
  private static final Comparator<Submitted> ORDER =
      Comparator.<Submitted>comparingInt(s -> -s.priority())
          .thenComparing(Submitted::submittedAt)
          .thenComparing(Submitted::id);

  @Test
  void aWorkerWithRoomForOneDrainsABacklogOfAThousandInPriorityThenFifoOrder() {
    Random random = new Random(12);
    List<Integer> priorities = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      priorities.add(random.nextInt(3) * 5);
    }
    List<Submitted> backlog =
        inParallel(priorities, priority -> submit("ws-drain", Set.of("code"), priority, ""));
    SerialWorker worker = worker("ws-drain", Set.of("code"), 1);
    awaitAllSucceeded(backlog);

    List<String> expected = backlog.stream().sorted(ORDER).map(Submitted::id).toList();
    assertEquals(expected, worker.missions(), "offered in priority-then-FIFO order");
    assertEquals(1, worker.mostHeld(), "never more than its capacity at once");
    assertTrue(worker.problems.isEmpty(), worker.problems.toString());
    for (Submitted m : backlog.subList(0, 50)) {
      List<String> decisions = new ArrayList<>();
      mission(m.id()).get("decisions").forEach(d -> decisions.add(d.get("decision").asText()));
      assertEquals(List.of("proceed", "complete"), decisions, m.id() + ": nothing escalated");
    }
    Response escalations = api.get("/api/v1/escalations?workspace=ws-drain&state=all");
    assertEquals(0, escalations.body().get("escalations").size(), escalations.toString());
  }

  @Test
  void tenWorkersOfMixedCapabilitiesTakeOnlyWhatTheyCanAndNeverIdleWhileItWaits() {
    List<Set<String>> kinds = List.of(Set.of("a"), Set.of("b"), Set.of("a", "b"), Set.of("c"));
    List<SerialWorker> fleet = new ArrayList<>();
    Random random = new Random(7);
    List<Submitted> backlog = new ArrayList<>();
    List<Set<String>> needs = List.of(Set.of("a"), Set.of("b"), Set.of("a", "b"), Set.of("c"));
    for (int i = 0; i < 300; i++) {
      backlog.add(submit("ws-mixed", needs.get(random.nextInt(needs.size())), 0, ""));
    }
    for (int i = 0; i < 10; i++) {
      fleet.add(worker("ws-mixed", kinds.get(i % kinds.size()), 1 + i % 3));
    }
    awaitAllSucceeded(backlog);

    Map<String, Submitted> byId = new HashMap<>();
    backlog.forEach(m -> byId.put(m.id(), m));
    Set<String> seen = new HashSet<>();
    for (SerialWorker worker : fleet) {
      assertTrue(worker.problems.isEmpty(), worker.problems.toString());
      assertTrue(worker.mostHeld() <= worker.capacity, worker.id + " held " + worker.mostHeld());
      for (String missionId : worker.missions()) {
        assertTrue(
            worker.capabilities.containsAll(byId.get(missionId).capabilities()),
            worker.id + " " + worker.capabilities + " took " + byId.get(missionId));
        assertTrue(seen.add(missionId), missionId + " was taken twice");
      }
    }
    assertEquals(byId.keySet(), seen);

    // After each completion, while a mission the worker could take was still waiting (not yet
    // offered to anyone), the worker got its next offer within the hand-over bound.
    List<SerialWorker.Taken> all = new ArrayList<>();
    fleet.forEach(w -> all.addAll(w.taken));
    for (SerialWorker worker : fleet) {
      List<SerialWorker.Taken> mine = worker.taken;
      for (int i = 0; i + 1 < mine.size(); i++) {
        long freedAt = mine.get(i).completedAt();
        long next = mine.get(i + 1).receivedAt();
        boolean workWaited =
            all.stream()
                .anyMatch(
                    t ->
                        t.receivedAt() > freedAt + 100_000_000L
                            && worker.capabilities.containsAll(
                                byId.get(t.missionId()).capabilities()));
        if (workWaited) {
          long idleMs = (next - freedAt) / 1_000_000;
          assertTrue(
              idleMs < HAND_OVER_BOUND_MS,
              worker.id + " idled " + idleMs + " ms while work it could take waited");
        }
      }
    }
  }

  @Test
  void nobodyCapableEscalatesAfterScheduleToStartButBusyWorkersOnlyQueue() {
    SerialWorker slow = new SerialWorker(node.httpAddress(), "ws-honest", Set.of("slow"), 1, 1_500);
    workers.add(slow);
    Submitted first =
        submit("ws-honest", Set.of("slow"), 0, ",\"timeouts\":{\"schedule_to_start_ms\":300}");
    Submitted queued =
        submit("ws-honest", Set.of("slow"), 0, ",\"timeouts\":{\"schedule_to_start_ms\":300}");
    Submitted capped =
        submit(
            "ws-honest",
            Set.of("slow"),
            -1,
            ",\"timeouts\":{\"schedule_to_start_ms\":300,\"max_queue_ms\":700}");
    Submitted nobody =
        submit("ws-honest", Set.of("gpu"), 0, ",\"timeouts\":{\"schedule_to_start_ms\":300}");

    Eventually.assertWithin(
        Duration.ofSeconds(20),
        () -> {
          JsonNode escalated = mission(nobody.id());
          assertEquals("escalated", escalated.get("state").asText());
          assertTrue(
              escalated.get("escalations").get(0).get("reason").asText().contains("no capable"),
              escalated.toString());
          JsonNode tooLong = mission(capped.id());
          assertEquals("escalated", tooLong.get("state").asText());
          assertTrue(
              tooLong
                  .get("escalations")
                  .get(0)
                  .get("reason")
                  .asText()
                  .contains("capable participants exist but were all busy"),
              tooLong.toString());
        });
    awaitAllSucceeded(List.of(first, queued));
    assertEquals(0, mission(queued.id()).get("escalations").size(), "busy is not a failure");
  }

  @Test
  void aFloodInOneWorkspaceDoesNotHoldBackAnother() {
    List<Submitted> flood = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      flood.add(submit("ws-flood", Set.of("code"), 0, ""));
    }
    List<Submitted> quiet = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      quiet.add(submit("ws-quiet", Set.of("code"), 0, ""));
    }
    worker("ws-flood", Set.of("code"), 1);
    worker("ws-quiet", Set.of("code"), 1);
    awaitAllSucceeded(quiet);
    Response backlog = api.get("/api/v1/backlog?workspace=ws-flood");
    assertTrue(
        backlog.body().get("waiting").asInt() > 50,
        "the quiet workspace's ten finished while most of the flood still waited: " + backlog);
    awaitAllSucceeded(flood);
  }
}
