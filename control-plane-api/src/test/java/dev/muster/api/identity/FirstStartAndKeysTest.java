package dev.muster.api.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.SignedJWT;
import dev.muster.api.ApiClient;
import dev.muster.api.ApiClient.Response;
import dev.muster.api.MusterApplication;
import dev.muster.api.TestNodes;
import dev.muster.testing.TestDatabase;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node started on an empty data directory, the way a newcomer starts it: it generates its keys
 * and writes the first operator's token (both 0600) once; the token works, and survives a restart
 * (which writes nothing again). Keys rotate through the API: a token minted before a rotation stays
 * valid through the overlap and is refused once its key is retired; the signing key cannot be
 * retired.
 */
class FirstStartAndKeysTest {

  @Test
  void theFirstStartWritesAnOperatorTokenOnceAndKeysRotateWithAnOverlap(@TempDir Path dataDir)
      throws Exception {
    // The test JVM shares one key set; a newcomer's node has none: "" is the data directory's.
    var config =
        TestNodes.restartable(TestDatabase.h2(dataDir), Map.of("muster.auth.keys-file", ""));
    Path tokenFile = dataDir.resolve("operator.token");
    Path keysFile = dataDir.resolve("auth").resolve("keys.json");
    String first;
    String oldKid;
    String minted;
    try (MusterApplication node = MusterApplication.start(config)) {
      assertEquals("rw-------", mode(tokenFile));
      assertEquals("rw-------", mode(keysFile));
      first = Files.readString(tokenFile).trim();
      ApiClient operator = new ApiClient(node.httpAddress(), first);
      Response me = operator.get("/api/v1/me");
      assertEquals(200, me.status(), me.toString());
      assertEquals("operator", me.body().get("kind").asText());

      // Minted before the rotation.
      Response token =
          operator.post("/api/v1/tokens", "{\"kind\":\"workspace\",\"workspace\":\"ws-1\"}");
      assertEquals(201, token.status(), token.toString());
      minted = token.body().get("token").asText();
      oldKid = kid(minted);
      ApiClient workspace = operator.as(minted);
      assertEquals(200, workspace.get("/api/v1/missions").status());

      Response rotated = operator.post("/api/v1/keys/rotate", "");
      assertEquals(201, rotated.status(), rotated.toString());
      String newKid = rotated.body().get("kid").asText();
      assertNotEquals(oldKid, newKid);
      assertTrue(rotated.body().get("signing").asBoolean());

      // The overlap: the old key still verifies; new tokens are signed by the new one.
      assertEquals(200, workspace.get("/api/v1/missions").status());
      Response after =
          operator.post("/api/v1/tokens", "{\"kind\":\"workspace\",\"workspace\":\"ws-1\"}");
      String fresh = after.body().get("token").asText();
      assertEquals(newKid, kid(fresh));

      Response refused = operator.send(post(operator, "/api/v1/keys/" + newKid + "/retire"));
      assertEquals(409, refused.status(), "the signing key cannot be retired: " + refused);
      assertEquals(404, operator.send(post(operator, "/api/v1/keys/k-nope/retire")).status());

      Response retired = operator.send(post(operator, "/api/v1/keys/" + oldKid + "/retire"));
      assertEquals(200, retired.status(), retired.toString());
      Response old = workspace.get("/api/v1/missions");
      assertEquals(401, old.status(), old.toString());
      assertEquals("token_invalid", old.body().path("error").path("code").asText());
      assertTrue(old.body().path("error").path("message").asText().contains("retired"));
      assertEquals(200, operator.as(fresh).get("/api/v1/missions").status());
      // The first operator's token was signed by the retired key too.
      assertEquals(401, operator.get("/api/v1/me").status());
      JsonNode keys = new ApiClient(node.httpAddress(), fresh).get("/api/v1/me").body();
      assertEquals("ws-1", keys.get("workspace").asText());
      minted = fresh;
    }
    // A restart writes no new token, and reads the rotated keys.
    String before = Files.readString(tokenFile).trim();
    try (MusterApplication restarted = MusterApplication.start(config)) {
      assertEquals(before, Files.readString(tokenFile).trim());
      assertEquals(first, before);
      ApiClient workspace = new ApiClient(restarted.httpAddress(), minted);
      assertEquals(200, workspace.get("/api/v1/missions").status());
    }
  }

  private static HttpRequest.Builder post(ApiClient api, String path) {
    return HttpRequest.newBuilder(api.uri(path)).POST(HttpRequest.BodyPublishers.noBody());
  }

  private static String kid(String token) throws Exception {
    return SignedJWT.parse(token).getHeader().getKeyID();
  }

  private static String mode(Path file) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
  }
}
