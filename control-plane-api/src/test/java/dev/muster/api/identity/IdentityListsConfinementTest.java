package dev.muster.api.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.muster.api.ApiClient;
import dev.muster.api.ApiClient.Response;
import dev.muster.api.MusterApplication;
import dev.muster.api.TestAuth;
import dev.muster.api.TestNodes;
import dev.muster.testing.Eventually;
import dev.muster.testing.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The token list and the device list keep a workspace to itself the way every list does (README:
 * "another workspace's objects answer 404, a list of another workspace 403"): as ws-a, its own
 * tokens and devices and nothing of ws-b's; asking for ws-b's list is refused with 403, like the
 * missions, participants and audit lists, not answered with an empty list.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IdentityListsConfinementTest {
  private static final Duration WITHIN = Duration.ofSeconds(30);

  private TestDatabase database;
  private MusterApplication node;
  private ApiClient operator;
  private ApiClient wsA;

  @BeforeAll
  void startNode(@TempDir Path dataDir) {
    database = TestDatabase.h2(dataDir);
    node = MusterApplication.start(TestNodes.restartable(database, Map.of()));
    operator = new ApiClient(node.httpAddress());
    wsA = operator.as(TestAuth.workspace("ws-a"));
    Eventually.assertWithin(
        WITHIN, () -> assertEquals(200, operator.get("/api/v1/missions").status()));
    for (String ws : List.of("ws-a", "ws-b")) {
      Response device =
          operator.post(
              "/api/v1/devices",
              "{\"workspace\":\"" + ws + "\",\"device_id\":\"phone-1\",\"name\":\"a phone\"}");
      assertEquals(201, device.status(), device.toString());
      Response token =
          operator.post(
              "/api/v1/tokens",
              "{\"kind\":\"session\",\"subject\":\"s-" + ws + "\",\"workspace\":\"" + ws + "\"}");
      assertEquals(201, token.status(), token.toString());
    }
  }

  @AfterAll
  void stopNode() throws Exception {
    node.close();
    database.close();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"tokens", "devices", "missions", "participants", "audit"})
  void aWorkspaceSeesItsOwnListAndIsRefusedAnothers(String list) {
    Response own = wsA.get("/api/v1/" + list);
    assertEquals(200, own.status(), "GET /api/v1/" + list + " as ws-a: " + own);
    for (JsonNode item : own.body().path(list.equals("audit") ? "records" : list)) {
      assertTrue(
          item.path("workspace").asText("ws-a").equals("ws-a"),
          "GET /api/v1/" + list + " as ws-a shows another workspace's: " + item);
    }
    Response other = wsA.get("/api/v1/" + list + "?workspace=ws-b");
    String sent = "GET /api/v1/" + list + "?workspace=ws-b as ws-a: " + other;
    assertEquals(403, other.status(), sent);
    assertEquals("forbidden", other.body().path("error").path("code").asText(), sent);
  }
}
