package dev.muster.api.access;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.Map;
import java.util.UUID;

/**
 * An identity provider a node trusts ({@code muster.auth.external-issuers}): its own ES256 key,
 * whose public half a node reads from a JWK set file, and operator tokens it signs.
 */
final class ExternalIdp {
  private final String issuer;
  private final ECKey key;

  ExternalIdp(String issuer) {
    this.issuer = issuer;
    try {
      this.key = new ECKeyGenerator(Curve.P_256).keyID(issuer + "-key").generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes the public key set under {@code dir}; the entry of {@code external-issuers}. */
  Map<String, Object> config(Path dir) {
    Path jwks = dir.resolve(issuer + "-jwks.json");
    try {
      Files.writeString(jwks, new JWKSet(key.toPublicJWK()).toString(true));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Map.of("issuer", issuer, "jwks-file", jwks.toString(), "kind", "operator");
  }

  /** An operator token of this provider for {@code subject}, valid for an hour. */
  String operator(String subject) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(issuer)
            .audience("muster")
            .subject(subject)
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plus(Duration.ofHours(1))))
            .jwtID("idp-" + UUID.randomUUID())
            .build();
    return Jwts.sign(
        new JWSHeader.Builder(JWSAlgorithm.ES256)
            .keyID(key.getKeyID())
            .type(JOSEObjectType.JWT)
            .build(),
        claims,
        Jwts.ecSigner(key));
  }
}
