package dev.muster.api.identity;

import static dev.muster.api.access.Jwts.sign;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import dev.muster.api.ApiClient;
import dev.muster.api.ApiClient.Response;
import dev.muster.api.MusterApplication;
import dev.muster.api.TestAuth;
import dev.muster.api.TestNodes;
import dev.muster.testing.Eventually;
import dev.muster.testing.TestDatabase;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tokens of trusted identity providers ({@code muster.auth.external-issuers}), on one real node
 * (H2, real HTTP) that trusts two: {@code https://idp.test}, whose RS256 tokens are operators named
 * by their {@code email} with scopes from their {@code roles}, and {@code https://tenants.test},
 * whose tokens are workspaces named by their {@code tenant} claim. Each provider's public key set
 * is a file this test writes from an RSA key it generates.
 *
 * <p>Accepted: a token signed by the provider's key, for Muster's audience, not expired; {@code GET
 * /api/v1/me} shows the mapped subject, kind, workspace and scopes (only the names Muster knows,
 * only those the kind may have), and the scopes are enforced. Refused (401): another audience,
 * expired, another RSA key, HMAC with any secret (the public key's bytes too), {@code alg: none}, a
 * provider's key used under Muster's own issuer. A workspace provider's token sees only its
 * workspace. Revoking a provider's subject refuses its tokens issued until then, on every request.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExternalIssuerTest {
  private static final Duration WITHIN = Duration.ofSeconds(30);
  private static final String IDP = "https://idp.test";
  private static final String TENANTS = "https://tenants.test";
  private static final String AUDIENCE = "muster";

  private TestDatabase database;
  private MusterApplication node;
  private ApiClient operator;
  private RSAKey idpKey;
  private RSAKey tenantsKey;
  private RSAKey strangerKey;

  @BeforeAll
  void startNode(@TempDir Path dataDir) throws Exception {
    idpKey = new RSAKeyGenerator(2048).keyID("idp-1").generate();
    tenantsKey = new RSAKeyGenerator(2048).keyID("tenants-1").generate();
    // The same kid as the provider's key: only the signature tells them apart.
    strangerKey = new RSAKeyGenerator(2048).keyID("idp-1").generate();
    Path idpKeys = dataDir.resolve("idp.json");
    Path tenantsKeys = dataDir.resolve("tenants.json");
    Files.writeString(idpKeys, new JWKSet(idpKey.toPublicJWK()).toString(), UTF_8);
    Files.writeString(tenantsKeys, new JWKSet(tenantsKey.toPublicJWK()).toString(), UTF_8);

    database = TestDatabase.h2(dataDir);
    node =
        MusterApplication.start(
            TestNodes.restartable(
                database,
                Map.of(
                    "muster.db.query-refresh-interval",
                    "50ms",
                    "muster.auth.external-issuers",
                    List.of(
                        Map.of(
                            "issuer",
                            IDP,
                            "audience",
                            AUDIENCE,
                            "jwks-file",
                            idpKeys.toString(),
                            "kind",
                            "operator",
                            "subject-claim",
                            "email",
                            "scope-claim",
                            "roles"),
                        Map.of(
                            "issuer", TENANTS,
                            "audience", AUDIENCE,
                            "jwks-file", tenantsKeys.toString(),
                            "kind", "workspace",
                            "subject-claim", "email",
                            "workspace-claim", "tenant",
                            "scope-claim", "roles")))));
    operator = new ApiClient(node.httpAddress());
    Eventually.assertWithin(
        WITHIN, () -> assertEquals(200, operator.get("/api/v1/missions").status()));
  }

  @AfterAll
  void stopNode() throws Exception {
    node.close();
    database.close();
  }

  // Accepted

  @Test
  void anOperatorOfTheProviderIsWhoItsEmailSaysWithTheScopesItsRolesName() throws Exception {
    String token =
        rs256(
            idpKey,
            c ->
                c.claim("email", "alice@idp.test")
                    .claim(
                        "roles", List.of("missions:read", "audit:read", "admin", "Tokens:Manage")));
    Response me = as(token).get("/api/v1/me");
    String sent = "GET /api/v1/me with " + show(token) + "\n  answered: " + me;
    assertEquals(200, me.status(), sent);
    assertEquals("alice@idp.test", me.body().path("subject").asText(), sent);
    assertEquals("operator", me.body().path("kind").asText(), sent);
    assertTrue(
        me.body().path("workspace").isMissingNode() || me.body().get("workspace").isNull(), sent);
    assertEquals(List.of("audit:read", "missions:read"), texts(me.body().path("scopes")), sent);

    // The scopes are what the token may do, not only what /me shows.
    Response missions = as(token).get("/api/v1/missions");
    assertEquals(
        200, missions.status(), "GET /api/v1/missions with " + show(token) + ": " + missions);
    Response tokens = as(token).get("/api/v1/tokens");
    assertEquals(403, tokens.status(), "GET /api/v1/tokens with " + show(token) + ": " + tokens);
    assertEquals("scope_denied", code(tokens), tokens.toString());

    // Roles as one space-separated string map the same way.
    String spaced =
        rs256(
            idpKey,
            c ->
                c.claim("email", "alice@idp.test")
                    .claim("roles", "missions:read admin audit:read"));
    Response again = as(spaced).get("/api/v1/me");
    assertEquals(200, again.status(), "GET /api/v1/me with " + show(spaced) + ": " + again);
    assertEquals(
        List.of("audit:read", "missions:read"),
        texts(again.body().path("scopes")),
        again.toString());
  }

  @Test
  void aWorkspaceProvidersTokenSeesOnlyItsWorkspace() throws Exception {
    String own = submit("ws-ext");
    String other = submit("ws-other");
    String token =
        rs256(
            tenantsKey,
            c ->
                c.claim("email", "bob@tenants.test")
                    .claim("tenant", "ws-ext")
                    .claim("roles", List.of("missions:read", "keys:manage")));
    ApiClient bob = as(token);
    Response me = bob.get("/api/v1/me");
    String sent = "GET /api/v1/me with " + show(token) + "\n  answered: " + me;
    assertEquals(200, me.status(), sent);
    assertEquals("bob@tenants.test", me.body().path("subject").asText(), sent);
    assertEquals("workspace", me.body().path("kind").asText(), sent);
    assertEquals("ws-ext", me.body().path("workspace").asText(), sent);
    // keys:manage is no scope a workspace may have: dropped.
    assertEquals(List.of("missions:read"), texts(me.body().path("scopes")), sent);

    Response mine = bob.get("/api/v1/missions/" + own);
    assertEquals(200, mine.status(), "its own workspace's mission " + own + ": " + mine);
    Response theirs = bob.get("/api/v1/missions/" + other);
    assertEquals(404, theirs.status(), "another workspace's mission " + other + ": " + theirs);
    Response otherList = bob.get("/api/v1/missions?workspace=ws-other");
    assertEquals(403, otherList.status(), "another workspace's list: " + otherList);
    Eventually.assertWithin(
        WITHIN,
        () -> {
          Response list = bob.get("/api/v1/missions");
          assertEquals(200, list.status(), list.toString());
          List<String> ids = list.body().path("missions").findValuesAsText("id");
          assertTrue(ids.contains(own), "its own mission is listed: " + list);
          assertFalse(ids.contains(other), "another workspace's mission is not listed: " + list);
        });
    Response keys = bob.get("/api/v1/keys");
    assertEquals(403, keys.status(), "keys:manage was dropped, so GET /api/v1/keys: " + keys);

    String noTenant = rs256(tenantsKey, c -> c.claim("email", "bob@tenants.test"));
    Response refused = as(noTenant).get("/api/v1/me");
    assertEquals(401, refused.status(), "no tenant claim: " + show(noTenant) + ": " + refused);
    assertEquals("token_invalid", code(refused), refused.toString());
  }

  // Refused

  Stream<Arguments> refusedTokens() throws Exception {
    UnaryOperator<JWTClaimsSet.Builder> carol = c -> c.claim("email", "carol@idp.test");
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    return Stream.of(
        Arguments.of(
            "another audience",
            rs256(idpKey, c -> carol.apply(c).audience("someone-else")),
            "token_invalid"),
        Arguments.of(
            "expired an hour ago",
            rs256(
                idpKey,
                c ->
                    carol
                        .apply(c)
                        .issueTime(Date.from(now.minus(Duration.ofHours(2))))
                        .expirationTime(Date.from(now.minus(Duration.ofHours(1))))),
            "token_expired"),
        Arguments.of(
            "signed by another RSA key under the provider's kid",
            rs256(strangerKey, carol),
            "token_invalid"),
        Arguments.of(
            "HS256 with a made-up secret",
            sign(claims(carol), JWSAlgorithm.HS256, "idp-1", new MACSigner(secret())),
            "token_invalid"),
        Arguments.of(
            "HS256 keyed with the provider's public key",
            sign(
                claims(carol),
                JWSAlgorithm.HS256,
                "idp-1",
                new MACSigner(idpKey.toRSAPublicKey().getEncoded())),
            "token_invalid"),
        Arguments.of(
            "HS256 keyed with the provider's public key set",
            sign(
                claims(carol),
                JWSAlgorithm.HS256,
                null,
                new MACSigner(new JWKSet(idpKey.toPublicJWK()).toString().getBytes(UTF_8))),
            "token_invalid"),
        Arguments.of("alg none", new PlainJWT(claims(carol)).serialize(), "token_invalid"),
        Arguments.of(
            "alg none with the provider's signature",
            noneWithSignatureOf(rs256(idpKey, carol)),
            "token_invalid"),
        Arguments.of("no email", rs256(idpKey, c -> c), "token_invalid"),
        Arguments.of(
            "the provider's key under Muster's own issuer",
            rs256(
                idpKey,
                c ->
                    carol
                        .apply(c)
                        .issuer("muster")
                        .claim("kind", "operator")
                        .claim("scope", "missions:read")
                        .jwtID("t-forged")),
            "token_invalid"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedTokens")
  void aTokenTheProviderDidNotIssueForMusterIsRefused(String why, String token, String expected) {
    Response me = as(token).get("/api/v1/me");
    String sent = "GET /api/v1/me with a token " + why + ": " + show(token) + "\n  answered: " + me;
    assertEquals(401, me.status(), sent);
    assertEquals(expected, code(me), sent);
  }

  // Revoked

  @Test
  void revokingTheProvidersSubjectRefusesItsTokens() throws Exception {
    String subject = "dave@idp.test";
    Instant issued = Instant.now().minusSeconds(5);
    String token =
        rs256(
            idpKey,
            c ->
                c.claim("email", subject)
                    .claim("roles", List.of("missions:read"))
                    .issueTime(Date.from(issued)));
    assertEquals(
        200, as(token).get("/api/v1/me").status(), "before the revocation: " + show(token));

    Response revoked = operator.send(delete("/api/v1/subjects/" + subject + "/tokens"));
    assertEquals(
        200, revoked.status(), "DELETE /api/v1/subjects/" + subject + "/tokens: " + revoked);
    assertEquals(subject, revoked.body().path("subject").asText(), revoked.toString());
    Eventually.assertWithin(
        WITHIN,
        () -> {
          Response me = as(token).get("/api/v1/me");
          assertEquals(401, me.status(), "after the revocation: " + me);
          assertEquals("token_revoked", code(me), me.toString());
        });
    Response missions = as(token).get("/api/v1/missions");
    assertEquals(401, missions.status(), "every route refuses it: " + missions);

    // A token the provider issues after the revocation is the subject's again.
    Instant at = Instant.parse(revoked.body().path("revoked_at").asText());
    String fresh =
        rs256(
            idpKey,
            c ->
                c.claim("email", subject)
                    .claim("roles", List.of("missions:read"))
                    .issueTime(Date.from(at.truncatedTo(ChronoUnit.SECONDS).plusSeconds(2))));
    Response again = as(fresh).get("/api/v1/me");
    assertEquals(200, again.status(), "issued after the revocation at " + at + ": " + again);
  }

  /**
   * A workspace cannot revoke the provider's operator: it may revoke subjects whose every token is
   * of its workspace, and a session token it mints may name any subject, the operator's too. The
   * revocation it then asks for must not reach the operator's tokens, which it cannot see (404, or
   * a revocation confined to its own workspace's tokens); the operator's token keeps working.
   */
  @Test
  void aWorkspaceCannotRevokeTheProvidersOperator() throws Exception {
    String subject = "erin@idp.test";
    String erin =
        rs256(
            idpKey,
            c ->
                c.claim("email", subject)
                    .claim("roles", List.of("missions:read"))
                    .issueTime(Date.from(Instant.now().minusSeconds(5))));
    assertEquals(200, as(erin).get("/api/v1/me").status(), "the operator's token: " + show(erin));

    ApiClient evil = as(TestAuth.workspace("ws-evil"));
    Response session =
        evil.post("/api/v1/tokens", "{\"kind\":\"session\",\"subject\":\"" + subject + "\"}");
    Response revoked =
        evil.send(
            HttpRequest.newBuilder(evil.uri("/api/v1/subjects/" + subject + "/tokens")).DELETE());
    String sent =
        "as workspace ws-evil: POST /api/v1/tokens {kind: session, subject: "
            + subject
            + "} answered "
            + session
            + "; then DELETE /api/v1/subjects/"
            + subject
            + "/tokens answered "
            + revoked;
    // Once the revocation (if any) has reached this node, the operator's token must still work.
    Response marker = operator.post("/api/v1/tokens", "{\"kind\":\"operator\",\"subject\":\"m\"}");
    assertEquals(201, marker.status(), marker.toString());
    String jti = marker.body().path("jti").asText();
    assertEquals(200, operator.send(delete("/api/v1/tokens/" + jti)).status());
    String markerToken = marker.body().path("token").asText();
    Eventually.assertWithin(
        WITHIN, () -> assertEquals(401, as(markerToken).get("/api/v1/me").status()));
    Response me = as(erin).get("/api/v1/me");
    assertEquals(200, me.status(), sent + "\n  and then the operator's GET /api/v1/me: " + me);
  }

  // Tokens

  /** A token of the provider of {@code key} (by its kid), valid for ten minutes from now. */
  private String rs256(RSAKey key, UnaryOperator<JWTClaimsSet.Builder> claims)
      throws JOSEException {
    String issuer = key == tenantsKey ? TENANTS : IDP;
    JWTClaimsSet.Builder builder =
        new JWTClaimsSet.Builder()
            .issuer(issuer)
            .audience(AUDIENCE)
            .subject("idp-user-id")
            .issueTime(Date.from(Instant.now().minusSeconds(5)))
            .expirationTime(Date.from(Instant.now().plus(Duration.ofMinutes(10))))
            .jwtID("idp-" + System.nanoTime());
    return sign(
        claims.apply(builder).build(), JWSAlgorithm.RS256, key.getKeyID(), new RSASSASigner(key));
  }

  /** Claims of the provider idp.test, changed by {@code change}. */
  private static JWTClaimsSet claims(UnaryOperator<JWTClaimsSet.Builder> change) {
    return change
        .apply(
            new JWTClaimsSet.Builder()
                .issuer(IDP)
                .audience(AUDIENCE)
                .issueTime(Date.from(Instant.now().minusSeconds(5)))
                .expirationTime(Date.from(Instant.now().plus(Duration.ofMinutes(10)))))
        .build();
  }

  private static String noneWithSignatureOf(String token) {
    String[] parts = token.split("\\.");
    return Base64URL.encode("{\"alg\":\"none\"}") + "." + parts[1] + "." + parts[2];
  }

  private static byte[] secret() {
    byte[] secret = new byte[32];
    for (int i = 0; i < secret.length; i++) {
      secret[i] = (byte) (17 * i + 3);
    }
    return secret;
  }

  /** A token as a failure message shows it: its header and claims, decoded. */
  private static String show(String token) {
    String[] parts = token.split("\\.", -1);
    try {
      return new Base64URL(parts[0]).decodeToString()
          + " "
          + (parts.length > 1 ? new Base64URL(parts[1]).decodeToString() : "")
          + (parts.length > 2 && parts[2].isEmpty() ? " (no signature)" : "");
    } catch (RuntimeException e) {
      return token;
    }
  }

  // Calls

  private ApiClient as(String token) {
    return operator.as(token);
  }

  private String submit(String ws) {
    Response submitted =
        operator.post(
            "/api/v1/missions",
            "{\"workspace\":\"" + ws + "\",\"title\":\"t\",\"required_capabilities\":[\"q\"]}");
    assertEquals(201, submitted.status(), "submit in " + ws + ": " + submitted);
    return submitted.body().path("id").asText();
  }

  private HttpRequest.Builder delete(String path) {
    return HttpRequest.newBuilder(operator.uri(path)).DELETE();
  }

  private static String code(Response response) {
    return response.body().path("error").path("code").asText();
  }

  private static List<String> texts(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
  }
}
