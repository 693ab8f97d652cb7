package dev.muster.api.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.muster.api.ApiClient;
import dev.muster.api.ApiClient.Response;
import dev.muster.api.MusterApplication;
import dev.muster.coordinator.mission.Mission;
import dev.muster.runtime.budget.Budget;
import dev.muster.testing.Eventually;
import dev.muster.testing.TestDatabase;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
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

  /** The documented bound of a revocation's reach (README); measured far below it. */
  private static final Duration REVOCATION_BOUND = Duration.ofSeconds(2);

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

        tokensWorkOnEveryNodeAndRevocationsReachEveryNode(addresses);
      } finally {
        ClusterNodes.close(nodes);
      }
    }
  }

  /**
   * A token minted through one node is accepted by the others; a revocation through one node (by
   * jti, then by subject) is refused by every node within {@link #REVOCATION_BOUND} (the journal's
   * query refresh plus the follower's batch window; the measured times are printed).
   */
  private static void tokensWorkOnEveryNodeAndRevocationsReachEveryNode(
      List<InetSocketAddress> addresses) {
    List<ApiClient> viaNode = addresses.stream().map(ApiClient::new).toList();
    String mint = "{\"kind\":\"session\",\"workspace\":\"ws-1\",\"subject\":\"bridge-1\"}";
    Response minted = viaNode.get(0).post("/api/v1/tokens", mint);
    assertEquals(201, minted.status(), minted.toString());
    String token = minted.body().get("token").asText();
    for (ApiClient node : viaNode) {
      assertEquals(200, node.as(token).get("/api/v1/missions").status(), "accepted on every node");
    }
    String jti = minted.body().get("jti").asText();
    Response revoked =
        viaNode
            .get(0)
            .send(HttpRequest.newBuilder(viaNode.get(0).uri("/api/v1/tokens/" + jti)).DELETE());
    assertEquals(200, revoked.status(), revoked.toString());
    System.out.println(
        "Revocation by jti refused on every node after " + refusedEverywhere(viaNode, token));

    String second = viaNode.get(1).post("/api/v1/tokens", mint).body().get("token").asText();
    Response bySubject =
        viaNode
            .get(1)
            .send(
                HttpRequest.newBuilder(viaNode.get(1).uri("/api/v1/subjects/bridge-1/tokens"))
                    .DELETE());
    assertEquals(200, bySubject.status(), bySubject.toString());
    System.out.println(
        "Revocation by subject refused on every node after " + refusedEverywhere(viaNode, second));
  }

  /** How long until every node refuses {@code token} as revoked; fails beyond the bound. */
  private static Duration refusedEverywhere(List<ApiClient> nodes, String token) {
    long start = System.nanoTime();
    Eventually.assertWithin(
        REVOCATION_BOUND,
        () -> {
          for (ApiClient node : nodes) {
            Response refused = node.as(token).get("/api/v1/missions");
            assertEquals(401, refused.status(), refused.toString());
            assertEquals("token_revoked", refused.body().path("error").path("code").asText());
          }
        });
    return Duration.ofNanos(System.nanoTime() - start);
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
