package dev.muster.api.budgets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.muster.api.ApiClient;
import dev.muster.api.ApiClient.Response;
import dev.muster.api.MusterApplication;
import dev.muster.api.TestAuth;
import dev.muster.api.TestNodes;
import dev.muster.config.money.Amount;
import dev.muster.runtime.budget.Budget;
import dev.muster.testing.TestDatabase;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The budget routes over real HTTP against a real node on H2. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BudgetRoutesTest {
  private MusterApplication node;
  private ApiClient api;

  @BeforeAll
  void start(@TempDir Path dataDir) {
    node = MusterApplication.start(TestNodes.singleNode(TestDatabase.h2(dataDir)));
    api = new ApiClient(node.httpAddress());
  }

  @AfterAll
  void stop() {
    node.close();
  }

  private Response put(String scope, String json) {
    return api.send(
        HttpRequest.newBuilder(api.uri("/api/v1/budgets/" + scope))
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(json)));
  }

  @Test
  void setRaiseAndReadABudgetWithItsLedger() throws Exception {
    Response set = put("ws-1", "{\"limit\":100}");
    assertEquals(200, set.status(), set.body().toString());
    assertEquals("ws-1", set.body().get("scope").asText());
    assertEquals("100", set.body().get("limit").asText());
    assertEquals(0, set.body().get("reserved").asInt());
    assertEquals(0, set.body().get("committed").asInt());

    Budget.ReserveResult granted =
        ClusterSharding.get(node.system())
            .entityRefFor(Budget.ENTITY_TYPE_KEY, "ws-1")
            .<Budget.ReserveResult>askWithStatus(
                r -> new Budget.Reserve("m-1#1", Amount.units(60), "m-1", "ws-1", r),
                Duration.ofSeconds(10))
            .toCompletableFuture()
            .get(15, TimeUnit.SECONDS);
    assertInstanceOf(Budget.Granted.class, granted);

    Response lower = put("ws-1", "{\"limit\":50}");
    assertEquals(409, lower.status(), lower.body().toString());
    assertEquals("conflict", lower.body().get("error").get("code").asText());
    assertTrue(lower.body().get("error").get("message").asText().contains("60 reserved"));

    Response raised = put("ws-1", "{\"limit\":150.25}");
    assertEquals(200, raised.status(), raised.body().toString());
    assertEquals("150.25", raised.body().get("limit").asText());

    Response read = api.get("/api/v1/budgets/ws-1");
    assertEquals(200, read.status(), read.body().toString());
    JsonNode body = read.body();
    assertEquals("60", body.get("reserved").asText());
    assertEquals("90.25", body.get("remaining").asText());
    JsonNode ledger = body.get("ledger");
    assertEquals(3, ledger.size(), ledger.toString());
    assertEquals("limit_set", ledger.get(0).get("kind").asText());
    assertEquals("reserved", ledger.get(1).get("kind").asText());
    assertEquals("m-1", ledger.get(1).get("mission_id").asText());
    assertEquals("m-1#1", ledger.get(1).get("key").asText());
    assertEquals("60", ledger.get(1).get("amount").asText());
    assertTrue(ledger.get(1).has("at"));
    assertEquals("limit_set", ledger.get(2).get("kind").asText());
    assertEquals("operator", ledger.get(0).get("by").asText(), "who set it: the token subject");
    assertTrue(ledger.get(1).path("by").isMissingNode(), "a reservation is the mission's");
  }

  private Response as(String workspace, HttpRequest.Builder request) {
    return api.send(
        request.header("Authorization", TestAuth.bearer(TestAuth.workspace(workspace))));
  }

  private HttpRequest.Builder putRequest(String scope, String json) {
    return HttpRequest.newBuilder(api.uri("/api/v1/budgets/" + scope))
        .header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(json));
  }

  private HttpRequest.Builder getRequest(String scope) {
    return HttpRequest.newBuilder(api.uri("/api/v1/budgets/" + scope)).GET();
  }

  @Test
  void aConfinedCallerSeesAndChangesOnlyItsWorkspacesBudgets() {
    Response own = as("ws-2", putRequest("team-2", "{\"limit\":5}"));
    assertEquals(200, own.status(), own.toString());
    assertEquals("ws-2", own.body().get("workspace").asText());
    assertEquals(404, as("ws-1", getRequest("team-2")).status());
    assertEquals(404, as("ws-1", putRequest("team-2", "{\"limit\":500}")).status());
    assertEquals(
        403, as("ws-1", putRequest("team-x", "{\"limit\":5,\"workspace\":\"ws-2\"}")).status());
    assertEquals(200, as("ws-2", getRequest("team-2")).status());

    Response operators = put("ops-pool", "{\"limit\":5}");
    assertEquals(200, operators.status(), operators.toString());
    assertTrue(operators.body().path("workspace").isMissingNode(), operators.toString());
    assertEquals(404, as("ws-1", getRequest("ops-pool")).status(), "an operator's budget");
    assertEquals(404, as("ws-1", putRequest("ops-pool", "{\"limit\":9}")).status());
    Response assigned = put("ops-pool", "{\"limit\":5,\"workspace\":\"ws-1\"}");
    assertEquals("ws-1", assigned.body().get("workspace").asText(), assigned.toString());
    assertEquals(200, as("ws-1", getRequest("ops-pool")).status());
    Response moved = put("team-2", "{\"limit\":5,\"workspace\":\"ws-1\"}");
    assertEquals(409, moved.status(), moved.toString());
  }

  @Test
  void anUnknownScopeIsNotFound() {
    Response missing = api.get("/api/v1/budgets/nobody-set-this");
    assertEquals(404, missing.status(), missing.body().toString());
    assertEquals("not_found", missing.body().get("error").get("code").asText());
  }

  @Test
  void badInputIsAnsweredWithAClear400() {
    for (String body :
        new String[] {
          "{\"limit\":-1}",
          "{\"limit\":1.0000001}",
          "{\"limit\":\"100\"}",
          "{}",
          "{\"limit\":100,\"extra\":1}",
          "{\"limit\":1e20}",
          "not json"
        }) {
      Response answer = put("ws-bad", body);
      assertEquals(400, answer.status(), body + " -> " + answer.body());
      assertTrue(answer.body().get("error").has("code"), answer.body().toString());
    }
    Response badScope = put("-bad", "{\"limit\":1}");
    assertEquals(400, badScope.status(), badScope.body().toString());
    assertEquals(404, api.get("/api/v1/budgets/ws-bad").status(), "nothing was set");
  }
}
