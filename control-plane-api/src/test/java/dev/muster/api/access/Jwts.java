package dev.muster.api.access;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.muster.api.TestAuth;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.UUID;

/**
 * Hand-made tokens: any claim set, any header, signed with the key every test node verifies with
 * (the shared key set's signing key, {@link TestAuth#tokens()}) or with anything else.
 */
public final class Jwts {
  private Jwts() {}

  /** The private key the test nodes' tokens are signed with. */
  static ECKey signingKey() {
    return TestAuth.tokens()
        .keys()
        .signingKey()
        .orElseThrow(() -> new IllegalStateException("the shared key set has no signing key"));
  }

  /**
   * The claims of a good token: iss and aud "muster", {@code subject}, issued now (whole seconds),
   * valid from now for an hour, a fresh jti, {@code kind}, {@code workspace} (none when null),
   * {@code scope} (space-separated wire names).
   */
  static JWTClaimsSet.Builder claims(String subject, String kind, String workspace, String scope) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    JWTClaimsSet.Builder claims =
        new JWTClaimsSet.Builder()
            .issuer("muster")
            .audience("muster")
            .subject(subject)
            .issueTime(Date.from(now))
            .notBeforeTime(Date.from(now))
            .expirationTime(Date.from(now.plus(Duration.ofHours(1))))
            .jwtID("t-" + UUID.randomUUID())
            .claim("scope", scope)
            .claim("kind", kind);
    if (workspace != null) {
      claims.claim("workspace", workspace);
    }
    return claims;
  }

  /** The header Muster writes: ES256, the signing key's kid, typ JWT. */
  static JWSHeader.Builder header() {
    return new JWSHeader.Builder(JWSAlgorithm.ES256)
        .keyID(signingKey().getKeyID())
        .type(JOSEObjectType.JWT);
  }

  /** {@code claims} signed as Muster signs: ES256 with the shared signing key. */
  static String sign(JWTClaimsSet claims) {
    return sign(header().build(), claims, ecSigner(signingKey()));
  }

  /**
   * {@code claims} under a header of {@code alg}, {@code kid} and typ JWT, signed by {@code
   * signer}.
   */
  public static String sign(JWTClaimsSet claims, JWSAlgorithm alg, String kid, JWSSigner signer) {
    return sign(
        new JWSHeader.Builder(alg).keyID(kid).type(JOSEObjectType.JWT).build(), claims, signer);
  }

  /** {@code claims} under {@code header}, signed by {@code signer}. */
  static String sign(JWSHeader header, JWTClaimsSet claims, JWSSigner signer) {
    SignedJWT jwt = new SignedJWT(header, claims);
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign a test token", e);
    }
    return jwt.serialize();
  }

  static JWSSigner ecSigner(ECKey key) {
    try {
      return new ECDSASigner(key);
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }
}
