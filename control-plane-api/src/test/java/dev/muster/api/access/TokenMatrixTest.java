package dev.muster.api.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.KeyLengthException;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import dev.muster.api.MusterApplication;
import dev.muster.api.TestAuth;
import dev.muster.api.TestNodes;
import dev.muster.api.access.AccessHttp.Credential;
import dev.muster.api.access.AccessHttp.Reply;
import dev.muster.config.json.Json;
import dev.muster.testing.Eventually;
import dev.muster.testing.TestDatabase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Pattern;
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
 * Every way a token can be wrong, each on a real node over real HTTP to {@code GET
 * /api/v1/missions}: a 401 with its code and a {@code WWW-Authenticate} challenge; and the ways it
 * can be right (including inside the 30 s clock skew), a 200. Revocation by {@code jti} and by
 * subject go through the API (the token registry and the journal) and take effect within seconds; a
 * subject's token issued a second or more after its revocation is accepted again.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TokenMatrixTest {
  private static final Duration REVOCATION = Duration.ofSeconds(5);
  private static final String ROUTE = "/api/v1/missions";
  private static final String WS = "ws-matrix";
  private static final String UNAUTHORIZED = null;

  /** RFC 6750's error parameter: a token or a quoted string (the server writes the token). */
  private static final Pattern INVALID_TOKEN_CHALLENGE =
      Pattern.compile("error=\"?invalid_token\"?(,|$)");

  private TestDatabase database;
  private MusterApplication node;
  private AccessHttp http;
  private final Credential operator = Credential.bearer("operator", TestAuth.operator());

  @BeforeAll
  void startNode(@TempDir Path dataDir) {
    database = TestDatabase.h2(dataDir);
    node = MusterApplication.start(TestNodes.singleNode(database));
    http = new AccessHttp(node.httpAddress());
  }

  @AfterAll
  void stopNode() throws Exception {
    node.close();
    database.close();
  }

  // The table

  /** A good token's claims: a workspace token of ws-matrix that may read missions. */
  private static JWTClaimsSet.Builder good() {
    return Jwts.claims(WS, "workspace", WS, "missions:read");
  }

  private static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS);
  }

  private static Arguments row(String name, Supplier<String> authorization, String code) {
    return Arguments.of(name, authorization, code);
  }

  private static Supplier<String> bearer(Supplier<String> token) {
    return () -> TestAuth.bearer(token.get());
  }

  private static Supplier<String> signed(Supplier<JWTClaimsSet> claims) {
    return bearer(() -> Jwts.sign(claims.get()));
  }

  private static String withoutClaim(String claim) {
    JWTClaimsSet.Builder claims = good();
    claims.claim(claim, null);
    return Jwts.sign(claims.build());
  }

  /** A good token whose payload was replaced (the subject and scopes raised), signature kept. */
  private static String tamperedPayload() {
    String[] parts = Jwts.sign(good().build()).split("\\.");
    try {
      ObjectNode payload =
          (ObjectNode) Json.mapper().readTree(Base64.getUrlDecoder().decode(parts[1]));
      payload.put("sub", "someone-else");
      payload.put("scope", "missions:read missions:write tokens:manage");
      String forged =
          Base64.getUrlEncoder()
              .withoutPadding()
              .encodeToString(Json.mapper().writeValueAsBytes(payload));
      return parts[0] + "." + forged + "." + parts[2];
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A good token with one character in the middle of its signature changed. */
  private static String tamperedSignature() {
    String[] parts = Jwts.sign(good().build()).split("\\.");
    char[] signature = parts[2].toCharArray();
    signature[20] = signature[20] == 'A' ? 'B' : 'A';
    return parts[0] + "." + parts[1] + "." + new String(signature);
  }

  private static String hmacWithPublicKey(byte[] secret) {
    try {
      return Jwts.sign(
          new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(Jwts.signingKey().getKeyID()).build(),
          good().build(),
          new MACSigner(secret));
    } catch (KeyLengthException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String foreignKeyUnderTheRealKid() {
    try {
      var foreign = new ECKeyGenerator(Curve.P_256).keyID(Jwts.signingKey().getKeyID()).generate();
      return Jwts.sign(Jwts.header().build(), good().build(), Jwts.ecSigner(foreign));
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  static Stream<Arguments> tokens() {
    return Stream.of(
        // The header
        row("no Authorization header", () -> null, "token_missing"),
        row("the Basic scheme", () -> "Basic bWF0cml4OnNlY3JldA==", "token_invalid"),
        row(
            "a good token under the scheme Token",
            () -> "Token " + Jwts.sign(good().build()),
            "token_invalid"),
        row("Bearer and no token", () -> "Bearer", "token_invalid"),
        row("Bearer garbage", () -> "Bearer garbage", "token_invalid"),
        row("Bearer with three dotted bits of garbage", () -> "Bearer a.b.c", "token_invalid"),
        // Time
        row(
            "expired two minutes ago (beyond the 30 s skew)",
            signed(
                () ->
                    good()
                        .issueTime(Date.from(now().minus(Duration.ofHours(1))))
                        .notBeforeTime(Date.from(now().minus(Duration.ofHours(1))))
                        .expirationTime(Date.from(now().minus(Duration.ofMinutes(2))))
                        .build()),
            "token_expired"),
        row(
            "nbf five minutes ahead (beyond the 30 s skew)",
            signed(
                () -> good().notBeforeTime(Date.from(now().plus(Duration.ofMinutes(5)))).build()),
            "token_not_yet_valid"),
        row(
            "iat and nbf five minutes ahead",
            signed(
                () ->
                    good()
                        .issueTime(Date.from(now().plus(Duration.ofMinutes(5))))
                        .notBeforeTime(Date.from(now().plus(Duration.ofMinutes(5))))
                        .build()),
            "token_not_yet_valid"),
        row(
            "iat five minutes ahead, no nbf",
            signed(
                () ->
                    good()
                        .issueTime(Date.from(now().plus(Duration.ofMinutes(5))))
                        .notBeforeTime(null)
                        .build()),
            "token_not_yet_valid"),
        row("no exp", signed(() -> good().expirationTime(null).build()), "token_invalid"),
        row("no iat", signed(() -> good().issueTime(null).build()), "token_invalid"),
        // Issuer and audience
        row(
            "another audience",
            signed(() -> good().audience("not-muster").build()),
            "token_invalid"),
        row("no audience", signed(() -> good().audience((String) null).build()), "token_invalid"),
        row("another issuer", signed(() -> good().issuer("evil").build()), "token_invalid"),
        row("no issuer", signed(() -> good().issuer(null).build()), "token_invalid"),
        // Keys and algorithms
        row(
            "an unknown kid",
            bearer(
                () ->
                    Jwts.sign(
                        Jwts.header().keyID("k-unknown").build(),
                        good().build(),
                        Jwts.ecSigner(Jwts.signingKey()))),
            "token_invalid"),
        row(
            "no kid",
            bearer(
                () ->
                    Jwts.sign(
                        new JWSHeader.Builder(JWSAlgorithm.ES256).build(),
                        good().build(),
                        Jwts.ecSigner(Jwts.signingKey()))),
            "token_invalid"),
        row("alg none", bearer(() -> new PlainJWT(good().build()).serialize()), "token_invalid"),
        row(
            "HS256 with the public key's DER bytes as the secret",
            bearer(() -> hmacWithPublicKey(publicKeyDer())),
            "token_invalid"),
        row(
            "HS256 with the public JWK's JSON as the secret",
            bearer(
                () ->
                    hmacWithPublicKey(
                        Jwts.signingKey()
                            .toPublicJWK()
                            .toJSONString()
                            .getBytes(StandardCharsets.UTF_8))),
            "token_invalid"),
        row(
            "ES256 by a foreign key under the real kid",
            bearer(TokenMatrixTest::foreignKeyUnderTheRealKid),
            "token_invalid"),
        row(
            "a payload changed after signing",
            bearer(TokenMatrixTest::tamperedPayload),
            "token_invalid"),
        row("a changed signature", bearer(TokenMatrixTest::tamperedSignature), "token_invalid"),
        row(
            "the signature removed",
            bearer(
                () -> {
                  String token = Jwts.sign(good().build());
                  return token.substring(0, token.lastIndexOf('.') + 1);
                }),
            "token_invalid"),
        // Claims
        row("no jti", bearer(() -> withoutClaim("jti")), "token_invalid"),
        row("no sub", bearer(() -> withoutClaim("sub")), "token_invalid"),
        row("no kind", bearer(() -> withoutClaim("kind")), "token_invalid"),
        row("no scope", bearer(() -> withoutClaim("scope")), "token_invalid"),
        row("a blank sub", signed(() -> good().subject(" ").build()), "token_invalid"),
        row("an unknown kind", signed(() -> good().claim("kind", "root").build()), "token_invalid"),
        row(
            "an unknown scope",
            signed(() -> good().claim("scope", "missions:read everything").build()),
            "token_invalid"),
        row(
            "a workspace token naming no workspace",
            signed(() -> good().claim("workspace", null).build()),
            "token_invalid"),
        row(
            "an operator token naming a workspace",
            signed(() -> Jwts.claims("op", "operator", WS, "missions:read").build()),
            "token_invalid"),
        row(
            "a participant token carrying missions:read",
            signed(() -> Jwts.claims("p-1", "participant", WS, "work missions:read").build()),
            "token_invalid"),
        row(
            "a device token carrying tokens:manage",
            signed(
                () ->
                    Jwts.claims(WS + ":phone:d-1", "device", WS, "missions:read tokens:manage")
                        .build()),
            "token_invalid"),
        row(
            "a session token carrying keys:manage",
            signed(() -> Jwts.claims("s-1", "session", WS, "missions:read keys:manage").build()),
            "token_invalid"),
        row(
            "a workspace token carrying keys:manage",
            signed(() -> good().claim("scope", "missions:read keys:manage").build()),
            "token_invalid"),
        // Accepted
        row("a good token", signed(() -> good().build()), UNAUTHORIZED),
        row(
            "a good token under the scheme written bearer",
            () -> "bearer " + Jwts.sign(good().build()),
            UNAUTHORIZED),
        row(
            "expired ten seconds ago (inside the 30 s skew)",
            signed(
                () ->
                    good()
                        .issueTime(Date.from(now().minus(Duration.ofHours(1))))
                        .notBeforeTime(Date.from(now().minus(Duration.ofHours(1))))
                        .expirationTime(Date.from(now().minus(Duration.ofSeconds(10))))
                        .build()),
            UNAUTHORIZED),
        row(
            "nbf ten seconds ahead (inside the 30 s skew)",
            signed(() -> good().notBeforeTime(Date.from(now().plusSeconds(10))).build()),
            UNAUTHORIZED),
        row("an operator token (TestAuth)", bearer(TestAuth::operator), UNAUTHORIZED));
  }

  private static byte[] publicKeyDer() {
    try {
      return Jwts.signingKey().toECPublicKey().getEncoded();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tokens")
  void everyTokenIsAnsweredAsItDeserves(String name, Supplier<String> authorization, String code) {
    String header = authorization.get();
    Credential who =
        header == null ? Credential.none() : Credential.raw(name + " (" + header + ")", header);
    Reply reply = http.get(who, ROUTE);
    if (code == null) {
      assertEquals(200, reply.status(), "a token that is right must be accepted: " + reply);
      assertTrue(reply.body().path("missions").isArray(), "a list of missions: " + reply);
      return;
    }
    assertUnauthorized(reply, code);
  }

  /** A 401 with {@code code}, the error shape, and a Bearer challenge. */
  private static void assertUnauthorized(Reply reply, String code) {
    assertEquals(401, reply.status(), "the token must be refused: " + reply);
    assertEquals(code, reply.code(), "the refusal's code: " + reply);
    assertFalse(reply.message().isBlank(), "the refusal says why: " + reply);
    String challenge =
        reply
            .header("WWW-Authenticate")
            .orElseThrow(() -> new AssertionError("no WWW-Authenticate on a 401: " + reply));
    assertTrue(challenge.startsWith("Bearer realm=\"muster\""), "a Bearer challenge: " + reply);
    if (!code.equals("token_missing")) {
      assertTrue(
          INVALID_TOKEN_CHALLENGE.matcher(challenge).find(),
          "a refused token's challenge says invalid_token (RFC 6750): " + reply);
    }
  }

  // Revocation, through the API

  /**
   * Mints a session token of ws-matrix for {@code subject} through the API: {@code {token, jti}}.
   */
  private JsonNode mintSession(String subject) {
    Reply minted =
        http.post(
            operator,
            "/api/v1/tokens",
            "{\"kind\":\"session\",\"subject\":\"" + subject + "\",\"workspace\":\"" + WS + "\"}");
    assertEquals(201, minted.status(), "minting a session token: " + minted);
    assertEquals(subject, minted.body().path("subject").asText(), minted.toString());
    return minted.body();
  }

  private Reply read(String name, JsonNode minted) {
    return http.get(Credential.bearer(name, minted.path("token").asText()), ROUTE);
  }

  @Test
  void aTokenRevokedByJtiIsRefusedWithinSecondsAndItsSiblingIsNot() {
    JsonNode revoked = mintSession("sess-jti");
    JsonNode sibling = mintSession("sess-jti");
    Reply before = read("the token to revoke, before", revoked);
    assertEquals(200, before.status(), "a freshly minted token is accepted: " + before);

    String jti = revoked.path("jti").asText();
    Reply revocation = http.delete(operator, "/api/v1/tokens/" + jti);
    assertEquals(200, revocation.status(), "revoking by jti: " + revocation);
    assertEquals(jti, revocation.body().path("jti").asText(), revocation.toString());
    assertTrue(
        revocation.body().path("revoked_at").isTextual(),
        "the record says when it was revoked: " + revocation);

    Eventually.assertWithin(
        REVOCATION, () -> assertUnauthorized(read("the revoked token", revoked), "token_revoked"));
    Reply other = read("a token of the same subject, not revoked", sibling);
    assertEquals(200, other.status(), "revoking one jti revokes only that token: " + other);
    Reply again = http.delete(operator, "/api/v1/tokens/" + jti);
    assertEquals(200, again.status(), "revoking again changes nothing: " + again);
    Reply unknown = http.delete(operator, "/api/v1/tokens/t-never-minted");
    assertEquals(404, unknown.status(), "an unknown jti: " + unknown);
  }

  @Test
  void aSubjectRevokedIsRefusedUntilItsNextTokenIssuedLater() {
    JsonNode first = mintSession("sess-subject");
    JsonNode second = mintSession("sess-subject");
    JsonNode bystander = mintSession("sess-bystander");
    for (JsonNode token : List.of(first, second, bystander)) {
      Reply before = read("a fresh token of " + token.path("subject").asText(), token);
      assertEquals(200, before.status(), "a freshly minted token is accepted: " + before);
    }

    Reply revocation = http.delete(operator, "/api/v1/subjects/sess-subject/tokens");
    assertEquals(200, revocation.status(), "revoking a subject: " + revocation);
    assertEquals("sess-subject", revocation.body().path("subject").asText(), revocation.toString());
    assertEquals(2, revocation.body().path("tokens").asInt(), "both tokens counted: " + revocation);
    Instant revokedAt = Instant.parse(revocation.body().path("revoked_at").asText());

    Eventually.assertWithin(
        REVOCATION,
        () -> {
          assertUnauthorized(read("the subject's first token", first), "token_revoked");
          assertUnauthorized(read("the subject's second token", second), "token_revoked");
        });
    Reply other = read("another subject's token", bystander);
    assertEquals(200, other.status(), "revoking a subject revokes only its tokens: " + other);

    // Tokens are issued in whole seconds: one issued in a later second than the revocation counts.
    Instant later = revokedAt.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
    Eventually.assertWithin(
        Duration.ofSeconds(3),
        () -> assertTrue(Instant.now().isAfter(later), "waiting for the clock to pass " + later));
    JsonNode fresh = mintSession("sess-subject");
    Instant issued = Instant.parse(fresh.path("issued_at").asText());
    assertTrue(
        issued.isAfter(revokedAt),
        "the new token (issued " + issued + ") is issued after the revocation at " + revokedAt);
    Reply accepted = read("the subject's token issued after its revocation", fresh);
    assertEquals(
        200,
        accepted.status(),
        "a token issued after its subject's revocation (at "
            + revokedAt
            + ") is good: "
            + accepted);
    assertUnauthorized(read("the subject's first token, still", first), "token_revoked");

    Reply listed = http.get(operator, "/api/v1/tokens?subject=sess-subject");
    assertEquals(200, listed.status(), listed.toString());
    List<JsonNode> records =
        StreamSupport.stream(listed.body().path("tokens").spliterator(), false).toList();
    assertEquals(3, records.size(), "three tokens of the subject are listed: " + listed);
    for (JsonNode record : records) {
      boolean isFresh = record.path("jti").asText().equals(fresh.path("jti").asText());
      assertEquals(
          !isFresh,
          record.path("revoked_at").isTextual(),
          "only the tokens issued before the revocation are marked revoked: " + listed);
    }
  }
}
