package dev.muster.api.fuzz;

import static dev.muster.api.access.Jwts.sign;
import static java.nio.charset.StandardCharsets.UTF_8;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.muster.api.TestAuth;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Tokens that no node may accept, each with why: the real operator's token ({@link
 * TestAuth#operator()}) with one thing wrong. Its signature altered; {@code alg: none}; HMAC (with
 * a made-up secret, and keyed with the public key: the classic algorithm confusion); signed by a
 * key of nobody's, under the real {@code kid} and under another; and, signed by the real key,
 * claims that must be refused: another audience or issuer, expired, not yet valid, a kind carrying
 * scopes it may not have, an unknown kind or scope, a claim missing. Every one of them is answered
 * 401 on every route of {@code /api/v1}; a 2xx would be a forged request let in.
 */
final class ForgedTokens {

  /** A token, and what is wrong with it. */
  record Forged(String why, String token) {}

  private static final class Holder {
    static final List<Forged> ALL = build();
  }

  private ForgedTokens() {}

  static List<Forged> all() {
    return Holder.ALL;
  }

  private static List<Forged> build() {
    try {
      String real = TestAuth.operator();
      SignedJWT parsed = SignedJWT.parse(real);
      JWTClaimsSet claims = parsed.getJWTClaimsSet();
      ECKey key = TestAuth.tokens().keys().signingKey().orElseThrow();
      ECKey stranger = new ECKeyGenerator(Curve.P_256).keyID("k-stranger").generate();
      String[] parts = real.split("\\.");
      Instant now = Instant.now();
      List<Forged> forged = new ArrayList<>();

      forged.add(
          new Forged("its signature altered", parts[0] + "." + parts[1] + "." + flip(parts[2])));
      forged.add(new Forged("one character appended", real + "A"));
      forged.add(new Forged("only two parts", parts[0] + "." + parts[1]));
      String none = Base64URL.encode("{\"alg\":\"none\",\"typ\":\"JWT\"}").toString();
      forged.add(new Forged("alg none, no signature", none + "." + parts[1] + "."));
      forged.add(
          new Forged("alg none, with the real signature", none + "." + parts[1] + "." + parts[2]));
      String rs256 =
          Base64URL.encode("{\"alg\":\"RS256\",\"kid\":\"" + key.getKeyID() + "\",\"typ\":\"JWT\"}")
              .toString();
      forged.add(
          new Forged(
              "an RS256 header on the real signature", rs256 + "." + parts[1] + "." + parts[2]));
      forged.add(
          new Forged(
              "a payload that is not JSON",
              parts[0] + "." + Base64URL.encode("not json").toString() + "." + parts[2]));

      forged.add(
          new Forged(
              "HS256 with a made-up secret",
              sign(claims, JWSAlgorithm.HS256, key.getKeyID(), new MACSigner(secret(32)))));
      forged.add(
          new Forged(
              "HS256 keyed with the public key's bytes",
              sign(
                  claims,
                  JWSAlgorithm.HS256,
                  key.getKeyID(),
                  new MACSigner(key.toECPublicKey().getEncoded()))));
      forged.add(
          new Forged(
              "HS256 keyed with the public JWK",
              sign(
                  claims,
                  JWSAlgorithm.HS256,
                  key.getKeyID(),
                  new MACSigner(key.toPublicJWK().toJSONString().getBytes(UTF_8)))));
      forged.add(
          new Forged(
              "ES256 by another key under the real kid",
              sign(claims, JWSAlgorithm.ES256, key.getKeyID(), new ECDSASigner(stranger))));
      forged.add(
          new Forged(
              "ES256 by another key under its own kid",
              sign(claims, JWSAlgorithm.ES256, stranger.getKeyID(), new ECDSASigner(stranger))));

      ECDSASigner real256 = new ECDSASigner(key);
      List<Forged> claimed = new ArrayList<>();
      claimed.add(changed("no kid", claims, c -> c, null, real256));
      claimed.add(changed("another audience", claims, c -> c.audience("elsewhere"), key, real256));
      claimed.add(changed("another issuer", claims, c -> c.issuer("elsewhere"), key, real256));
      claimed.add(
          changed(
              "expired an hour ago",
              claims,
              c ->
                  c.issueTime(Date.from(now.minus(Duration.ofHours(2))))
                      .notBeforeTime(Date.from(now.minus(Duration.ofHours(2))))
                      .expirationTime(Date.from(now.minus(Duration.ofHours(1)))),
              key,
              real256));
      claimed.add(
          changed(
              "valid only from tomorrow",
              claims,
              c ->
                  c.issueTime(Date.from(now.plus(Duration.ofDays(1))))
                      .notBeforeTime(Date.from(now.plus(Duration.ofDays(1))))
                      .expirationTime(Date.from(now.plus(Duration.ofDays(2)))),
              key,
              real256));
      claimed.add(
          changed(
              "a participant carrying keys:manage",
              claims,
              c ->
                  c.subject("p-forged")
                      .claim("kind", "participant")
                      .claim("workspace", RequestGenerator.WS_A)
                      .claim("scope", "keys:manage work"),
              key,
              real256));
      claimed.add(
          changed(
              "a workspace token carrying keys:manage",
              claims,
              c ->
                  c.subject(RequestGenerator.WS_A)
                      .claim("kind", "workspace")
                      .claim("workspace", RequestGenerator.WS_A)
                      .claim("scope", "keys:manage missions:read"),
              key,
              real256));
      claimed.add(
          changed(
              "an operator bound to a workspace",
              claims,
              c -> c.claim("workspace", RequestGenerator.WS_A),
              key,
              real256));
      claimed.add(
          changed(
              "a workspace token naming no workspace",
              claims,
              c -> c.claim("kind", "workspace"),
              key,
              real256));
      claimed.add(changed("an unknown kind", claims, c -> c.claim("kind", "root"), key, real256));
      claimed.add(
          changed(
              "an unknown scope",
              claims,
              c -> c.claim("scope", "missions:read everything"),
              key,
              real256));
      claimed.add(changed("no jti", claims, c -> c.jwtID(null), key, real256));
      claimed.add(changed("no exp", claims, c -> c.expirationTime(null), key, real256));
      claimed.add(changed("no sub", claims, c -> c.subject(null), key, real256));
      claimed.add(changed("no scope", claims, c -> c.claim("scope", null), key, real256));
      forged.addAll(claimed);
      return List.copyOf(forged);
    } catch (ParseException | JOSEException e) {
      throw new IllegalStateException("cannot forge tokens", e);
    }
  }

  /** The real claims changed by {@code change}, signed by the real key under {@code kid}'s key. */
  private static Forged changed(
      String why,
      JWTClaimsSet claims,
      UnaryOperator<JWTClaimsSet.Builder> change,
      ECKey kid,
      JWSSigner signer)
      throws JOSEException {
    JWTClaimsSet forged = change.apply(new JWTClaimsSet.Builder(claims)).build();
    return new Forged(
        why, sign(forged, JWSAlgorithm.ES256, kid == null ? null : kid.getKeyID(), signer));
  }

  /** {@code part} with its middle character changed: a signature that no longer verifies. */
  private static String flip(String part) {
    int at = part.length() / 2;
    char c = part.charAt(at);
    return part.substring(0, at) + (c == 'A' ? 'B' : 'A') + part.substring(at + 1);
  }

  private static byte[] secret(int length) {
    byte[] secret = new byte[length];
    for (int i = 0; i < length; i++) {
      secret[i] = (byte) (31 * i + 7);
    }
    return secret;
  }
}
