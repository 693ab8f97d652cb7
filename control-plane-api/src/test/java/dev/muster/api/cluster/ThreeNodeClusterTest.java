package dev.muster.api.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.muster.api.ApiClient.Response;
import dev.muster.api.MusterApplication;
import dev.muster.coordinator.mission.Mission;
import dev.muster.runtime.budget.Budget;
import dev.muster.testing.Eventually;
import dev.muster.testing.TestDatabase;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.junit.jupiter.api.Test;

/**
 * Three nodes in one JVM on PostgreSQL: every entity type is sharded over all three, and a mission
 * runs end to end while every HTTP request (register, submit, poll, ack, complete, get) goes to the
 * next node in turn, so no step is served by the node that holds the entity it touches every time.
 */
class ThreeNodeClusterTest {
  private static final Duration CLUSTER_FORMS = Duration.ofSeconds(60);
  private static final int MISSIONS = 24;

  @Test
  void entitiesSpreadOverTheNodesAndEveryNodeServesTheWholeApi() throws Exception {
    List<MusterApplication> nodes = new ArrayList<>();
    try (TestDatabase database = TestDatabase.postgres()) {
      try {
        ClusterNodes.startInJvm(database, 3, nodes, CLUSTER_FORMS);

        List<InetSocketAddress> addresses =
            nodes.stream().map(MusterApplication::httpAddress).toList();
        SpreadClient api = new SpreadClient(addresses, Duration.ofSeconds(30), Duration.ZERO);

        List<String> missions = new ArrayList<>();
        try (Workers workers = new Workers(api)) {
          workers.start("ws-1", "code", "worker-1");
          for (int i = 0; i < MISSIONS; i++) {
            Response submitted =
                api.post(
                    "/api/v1/missions",
                    "{\"workspace\":\"ws-1\",\"title\":\"t"
                        + i
                        + "\",\"required_capabilities\":[\"code\"],\"input\":{\"n\":"
                        + i
                        + "}}",
                    "submit-" + i);
            assertEquals(201, submitted.status(), submitted.body().toString());
            missions.add(submitted.body().get("id").asText());
          }
          Eventually.assertWithin(
              CLUSTER_FORMS,
              () -> {
                for (String id : missions) {
                  Response mission = api.get("/api/v1/missions/" + id);
                  assertEquals(200, mission.status(), mission.body().toString());
                  assertEquals("succeeded", mission.body().get("state").asText(), id);
                }
              });
          assertTrue(workers.failures().isEmpty(), workers.failures().toString());
        }
        assertEquals(0, api.retries(), "every request was answered by the node it was sent to");

        Map<String, Integer> placement = new LinkedHashMap<>();
        for (MusterApplication node : nodes) {
          placement.put(
              node.httpAddress().toString(), entities(node.system(), Mission.ENTITY_TYPE_KEY));
        }
        System.out.println("Mission entities per node: " + placement);
        assertEquals(
            MISSIONS, placement.values().stream().mapToInt(n -> n).sum(), placement.toString());
        placement.forEach(
            (node, count) ->
                assertTrue(count > 0, "node " + node + " holds no mission: " + placement));

        // A budget set through one node is read through the others.
        Response set = api.put("/api/v1/budgets/ws-1", "{\"limit\":100}");
        assertEquals(200, set.status(), set.body().toString());
        for (int i = 0; i < 3; i++) {
          Response read = api.get("/api/v1/budgets/ws-1");
          assertEquals(200, read.status(), read.body().toString());
          assertEquals("100", read.body().get("limit").asText());
        }
        assertEquals(1, total(nodes, Budget.ENTITY_TYPE_KEY), "one budget entity in the cluster");
        JsonNode ledger = api.get("/api/v1/budgets/ws-1").body().get("ledger");
        assertEquals(1, ledger.size(), ledger.toString());
      } finally {
        ClusterNodes.close(nodes);
      }
    }
  }

  private static int total(List<MusterApplication> nodes, EntityTypeKey<?> type) throws Exception {
    int sum = 0;
    for (MusterApplication node : nodes) {
      sum += entities(node.system(), type);
    }
    return sum;
  }

  /** How many entities of {@code type} run on this node, from its shard region's state. */
  private static int entities(ActorSystem<?> system, EntityTypeKey<?> type) throws Exception {
    ShardRegion.CurrentShardRegionState state =
        AskPattern
            .<org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery,
                ShardRegion.CurrentShardRegionState>
                ask(
                    ClusterSharding.get(system).shardState(),
                    replyTo -> new GetShardRegionState(type, replyTo),
                    Duration.ofSeconds(10),
                    system.scheduler())
            .toCompletableFuture()
            .get();
    int count = 0;
    for (ShardRegion.ShardState shard : state.getShards()) {
      count += shard.getEntityIds().size();
    }
    return count;
  }
}
