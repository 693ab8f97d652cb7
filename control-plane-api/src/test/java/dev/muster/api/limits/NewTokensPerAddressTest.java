package dev.muster.api.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.api.ApiClient;
import dev.muster.api.ApiClient.Response;
import dev.muster.api.MusterApplication;
import dev.muster.api.TestAuth;
import dev.muster.api.TestNodes;
import dev.muster.api.identity.TokenKind;
import dev.muster.testing.TestDatabase;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client cannot keep a node verifying signatures: tokens the node has not verified yet draw on
 * the client address's bucket ({@code muster.rate-limits.new-tokens-per-address}); beyond it a
 * request is 429 with {@code Retry-After} before any signature is checked (a forged token too),
 * while tokens already verified go on as before.
 */
class NewTokensPerAddressTest {

  @Test
  void newTokensFromOneAddressAreLimitedAndKnownOnesAreNot(@TempDir Path dataDir) throws Exception {
    var config =
        TestNodes.restartable(
            TestDatabase.h2(dataDir),
            Map.of(
                "muster.rate-limits.new-tokens-per-address.capacity", 5,
                "muster.rate-limits.new-tokens-per-address.refill-per-second", 1));
    try (MusterApplication node = MusterApplication.start(config)) {
      ApiClient api = new ApiClient(node.httpAddress());
      List<String> fresh = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        fresh.add(
            TestAuth.mint(
                TokenKind.OPERATOR, "new-" + i, Optional.empty(), TokenKind.OPERATOR.allowed()));
      }
      int accepted = 0;
      Response refused = null;
      for (String token : fresh) {
        Response r = api.as(token).get("/api/v1/me");
        if (r.status() == 200) {
          accepted++;
        } else {
          refused = r;
          assertEquals(429, r.status(), r.toString());
        }
      }
      // The burst of 5, maybe one more refilled meanwhile; never all 8.
      assertTrue(accepted >= 5 && accepted <= 6, "accepted " + accepted + " of 8 new tokens");
      assertEquals("too_many_requests", refused.body().path("error").path("code").asText());
      assertTrue(
          refused.body().path("error").path("message").asText().contains("new tokens"),
          refused.toString());

      // A forged token is refused before its signature is looked at: 429, not 401.
      HttpResponse<String> forged =
          java.net.http.HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(api.uri("/api/v1/me"))
                      .header("Authorization", "Bearer " + fresh.get(0) + "x")
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertEquals(429, forged.statusCode(), forged.body());
      long retryAfter = Long.parseLong(forged.headers().firstValue("Retry-After").orElseThrow());
      assertTrue(retryAfter >= 1, "Retry-After " + retryAfter);

      // Tokens this node verified already are not new: they go on.
      for (int i = 0; i < 20; i++) {
        assertEquals(200, api.as(fresh.get(0)).get("/api/v1/me").status());
      }
      assertEquals(
          429, api.get("/api/v1/me").status(), "a valid token this node never saw is new too");
    }
  }
}
