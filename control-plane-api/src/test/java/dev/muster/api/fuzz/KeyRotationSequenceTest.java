package dev.muster.api.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /api/v1/keys/rotate} and {@code POST /api/v1/keys/{kid}/retire} as the operator, in a
 * seeded random order, on a node with keys of its own ({@code muster.auth.keys-file = ""}: its data
 * directory's; {@link RandomRequestsTest} never changes the key set the other tests share). After
 * every step the key list is what the steps made (every key, which are retired, exactly one signing
 * key: the newest active one) and every token minted along the way is accepted while its key is
 * active and refused, saying so, once it is retired. The signing key cannot be retired (409), an
 * unknown key is 404, retiring a retired key changes nothing.
 *
 * <p>The seed is printed; {@code -Dmuster.test.seed=<seed>} repeats a run.
 */
class KeyRotationSequenceTest {
  private static final int STEPS = 20;
  private static final int QUICK_ROTATIONS = 16;

  private final long seed = seed();
  private final Random random = new Random(seed);

  private static long seed() {
    String given = System.getProperty("muster.test.seed", "").trim();
    return given.isEmpty() ? System.nanoTime() : Long.parseLong(given);
  }

  /** A token minted during the run, and the key that signed it. */
  private record Minted(String token, String kid, int step) {}

  @Test
  void keysRotateAndRetireAsTheStepsSay(@TempDir Path dataDir) throws Exception {
    String run = "seed " + seed + " (-Dmuster.test.seed=" + seed + ")";
    System.out.println("KeyRotationSequenceTest " + run);
    var config =
        TestNodes.restartable(
            TestDatabase.h2(dataDir),
            Map.of("muster.auth.keys-file", "", "muster.rate-limits.enabled", false));
    try (MusterApplication node = MusterApplication.start(config)) {
      String first = Files.readString(dataDir.resolve("operator.token")).trim();
      ApiClient api = new ApiClient(node.httpAddress(), first);

      // The model: every kid in order of creation, the retired ones, the tokens.
      List<String> kids = new ArrayList<>(List.of(kid(first)));
      Set<String> retired = new LinkedHashSet<>();
      List<Minted> tokens = new ArrayList<>(List.of(new Minted(first, kid(first), 0)));
      List<String> steps = new ArrayList<>();
      for (int step = 1; step <= STEPS; step++) {
        String signing = kids.get(kids.size() - 1);
        int roll = random.nextInt(10);
        if (roll < 3) {
          Response rotated = api.send(post(api, "/api/v1/keys/rotate"));
          steps.add(step + ": rotate -> " + rotated);
          assertEquals(201, rotated.status(), run + " " + steps);
          kids.add(rotated.body().path("kid").asText());
          // From now on as an operator whose token the new key signed.
          String operator = mint(api, "{\"kind\":\"operator\",\"subject\":\"op-" + step + "\"}");
          api = api.as(operator);
          tokens.add(new Minted(operator, kid(operator), step));
          assertEquals(
              kids.get(kids.size() - 1), kid(operator), run + " the new key signs: " + steps);
        } else if (roll < 6) {
          String kid = kids.get(random.nextInt(kids.size()));
          Response answer = api.send(post(api, "/api/v1/keys/" + kid + "/retire"));
          steps.add(step + ": retire " + kid + " -> " + answer);
          if (kid.equals(signing)) {
            assertEquals(409, answer.status(), run + " the signing key stays: " + steps);
          } else {
            assertEquals(200, answer.status(), run + " " + steps);
            retired.add(kid);
          }
        } else if (roll < 7) {
          String kid = random.nextBoolean() ? "k-unknown-" + step : "k%2Fx";
          Response answer = api.send(post(api, "/api/v1/keys/" + kid + "/retire"));
          steps.add(step + ": retire " + kid + " -> " + answer);
          assertEquals(404, answer.status(), run + " " + steps);
        } else {
          String token = mint(api, "{\"kind\":\"workspace\",\"workspace\":\"ws-" + step + "\"}");
          steps.add(step + ": mint, signed by " + kid(token));
          tokens.add(new Minted(token, kid(token), step));
        }
        check(run, api, kids, retired, tokens, steps);
      }
      System.out.println(
          "KeyRotationSequenceTest "
              + run
              + ": "
              + kids.size()
              + " keys, "
              + retired.size()
              + " retired, "
              + tokens.size()
              + " tokens checked after each of "
              + STEPS
              + " steps");
    }
  }

  /**
   * A rotated key signs from the moment the rotation answers, however soon after the key before it
   * was made: {@value #QUICK_ROTATIONS} rotations one right after the other, each answered as the
   * signing key, listed as the one signing key, and signing the next token minted.
   */
  @Test
  void aRotatedKeySignsAtOnce(@TempDir Path dataDir) throws Exception {
    var config =
        TestNodes.restartable(
            TestDatabase.h2(dataDir),
            Map.of("muster.auth.keys-file", "", "muster.rate-limits.enabled", false));
    try (MusterApplication node = MusterApplication.start(config)) {
      ApiClient api =
          new ApiClient(
              node.httpAddress(), Files.readString(dataDir.resolve("operator.token")).trim());
      List<String> answers = new ArrayList<>();
      for (int i = 1; i <= QUICK_ROTATIONS; i++) {
        Response rotated = api.send(post(api, "/api/v1/keys/rotate"));
        answers.add("rotation " + i + ": " + rotated);
        assertEquals(201, rotated.status(), String.join("\n", answers));
        String kid = rotated.body().path("kid").asText();
        Response keys = api.get("/api/v1/keys");
        answers.add("  GET /api/v1/keys: " + keys);
        String token = mint(api, "{\"kind\":\"workspace\",\"workspace\":\"ws-1\"}");
        answers.add("  the next token is signed by " + kid(token));
        String shown =
            "POST /api/v1/keys/rotate must make the new key the signing key:\n  "
                + String.join("\n  ", answers);
        assertTrue(rotated.body().path("signing").asBoolean(), shown);
        List<String> signing = new ArrayList<>();
        keys.body()
            .path("keys")
            .forEach(
                k -> {
                  if (k.path("signing").asBoolean()) {
                    signing.add(k.path("kid").asText());
                  }
                });
        assertEquals(List.of(kid), signing, shown);
        assertEquals(kid, kid(token), shown);
      }
    }
  }

  /** The key list and every token, as the steps so far say they must be. */
  private static void check(
      String run,
      ApiClient api,
      List<String> kids,
      Set<String> retired,
      List<Minted> tokens,
      List<String> steps) {
    String after = run + " after " + steps.get(steps.size() - 1) + " (steps: " + steps + ")";
    Response keys = api.get("/api/v1/keys");
    assertEquals(200, keys.status(), after + ": GET /api/v1/keys " + keys);
    Map<String, JsonNode> listed = new LinkedHashMap<>();
    keys.body().path("keys").forEach(k -> listed.put(k.path("kid").asText(), k));
    assertEquals(
        new LinkedHashSet<>(kids), listed.keySet(), after + ": the keys, in order: " + keys);
    List<String> signing = new ArrayList<>();
    for (String kid : kids) {
      JsonNode key = listed.get(kid);
      boolean isRetired = key.hasNonNull("retired_at");
      assertEquals(retired.contains(kid), isRetired, after + ": " + kid + " retired? " + keys);
      if (key.path("signing").asBoolean()) {
        signing.add(kid);
      }
    }
    assertEquals(List.of(kids.get(kids.size() - 1)), signing, after + ": the signing key " + keys);
    for (Minted minted : tokens) {
      Response me = api.as(minted.token()).get("/api/v1/me");
      String which =
          after + ": the token of step " + minted.step() + " signed by " + minted.kid() + ": " + me;
      if (retired.contains(minted.kid())) {
        assertEquals(401, me.status(), which);
        assertEquals("token_invalid", me.body().path("error").path("code").asText(), which);
        assertTrue(me.body().path("error").path("message").asText().contains("retired"), which);
      } else {
        assertEquals(200, me.status(), which);
      }
    }
  }

  private static String mint(ApiClient api, String json) {
    Response minted = api.post("/api/v1/tokens", json);
    assertEquals(201, minted.status(), "POST /api/v1/tokens " + json + ": " + minted);
    return minted.body().path("token").asText();
  }

  private static HttpRequest.Builder post(ApiClient api, String path) {
    return HttpRequest.newBuilder(api.uri(path)).POST(HttpRequest.BodyPublishers.noBody());
  }

  private static String kid(String token) throws Exception {
    return SignedJWT.parse(token).getHeader().getKeyID();
  }
}
