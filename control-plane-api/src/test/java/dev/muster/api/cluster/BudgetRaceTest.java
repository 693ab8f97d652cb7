package dev.muster.api.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.muster.api.ApiClient.Response;
import dev.muster.testing.Eventually;
import dev.muster.testing.TestDatabase;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Many missions race for a budget that covers only some of them, their submissions spread over
 * three nodes (separate JVMs, PostgreSQL), and one node is killed with SIGKILL in the middle. The
 * budget never commits more than its limit, committed + reserved never exceeds it, every mission
 * that did not fit was escalated with the budget's reason, and the ones that fit succeeded.
 */
class BudgetRaceTest {
  private static final int LIMIT = 12;
  private static final int MISSIONS = 30;
  private static final Duration SETTLE = Duration.ofSeconds(120);

  @Test
  void theBudgetHoldsAcrossNodesRetriesAndANodeLoss() throws Exception {
    try (TestDatabase database = TestDatabase.postgres();
        ChildCluster cluster = new ChildCluster(database, "budget-race")) {
      List<NodeProcess> nodes = cluster.start(3, "node");
      SpreadClient api =
          new SpreadClient(cluster.httpAddresses(), Duration.ofSeconds(10), Duration.ofSeconds(60));
      Response set = api.put("/api/v1/budgets/race", "{\"limit\":" + LIMIT + "}");
      assertEquals(200, set.status(), set.toString());

      ConcurrentLinkedQueue<String> acknowledged = new ConcurrentLinkedQueue<>();
      try (Workers workers = new Workers(api)) {
        for (int i = 1; i <= 3; i++) {
          workers.start("ws-race", "code", "race-worker-" + i);
        }
        ExecutorService submitters = Executors.newFixedThreadPool(8);
        CountDownLatch halfway = new CountDownLatch(MISSIONS / 2);
        for (int i = 0; i < MISSIONS; i++) {
          String key = "race-" + i;
          submitters.submit(
              () -> {
                Response r =
                    api.post(
                        "/api/v1/missions",
                        "{\"workspace\":\"ws-race\",\"title\":\"t\","
                            + "\"required_capabilities\":[\"code\"],"
                            + "\"budget\":{\"scope\":\"race\",\"estimate\":1}}",
                        key);
                if (r.status() == 201) {
                  acknowledged.add(r.body().get("id").asText());
                }
                halfway.countDown();
              });
        }
        assertTrue(halfway.await(120, TimeUnit.SECONDS), "half of the missions were submitted");
        nodes.get(1).kill();
        submitters.shutdown();
        assertTrue(submitters.awaitTermination(180, TimeUnit.SECONDS));
        assertEquals(MISSIONS, acknowledged.size(), "every submission was acknowledged");

        int[] outcome = new int[2];
        Eventually.assertWithin(
            SETTLE,
            () -> {
              int succeeded = 0;
              int escalated = 0;
              for (String id : acknowledged) {
                JsonNode mission = api.get("/api/v1/missions/" + id).body();
                String state = mission.get("state").asText();
                if (state.equals("succeeded")) {
                  succeeded++;
                } else if (state.equals("escalated")) {
                  assertTrue(
                      mission.get("escalations").get(0).get("reason").asText().contains("budget"),
                      mission.toString());
                  escalated++;
                } else {
                  throw new AssertionError(id + " is still " + state);
                }
              }
              outcome[0] = succeeded;
              outcome[1] = escalated;
            });
        int succeeded = outcome[0];
        int escalated = outcome[1];

        JsonNode budget = api.get("/api/v1/budgets/race").body();
        BigDecimal committed = budget.get("committed").decimalValue();
        BigDecimal reserved = budget.get("reserved").decimalValue();
        BigDecimal limit = budget.get("limit").decimalValue();
        assertTrue(committed.add(reserved).compareTo(limit) <= 0, budget.toString());
        assertEquals(0, committed.compareTo(BigDecimal.valueOf(succeeded)), budget.toString());
        assertEquals(LIMIT, succeeded, "exactly the missions the budget covers succeeded");
        assertEquals(MISSIONS - LIMIT, escalated, "every other mission was escalated");
        assertEquals(0, reserved.signum(), "no reservation is left behind");
      } finally {
        System.out.println(
            cluster.logTails().lines().filter(l -> l.contains("ERROR")).limit(20).toList());
      }
    }
  }
}
