package dev.muster.api.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.muster.api.access.Scope;
import dev.muster.api.http.ApiException;
import dev.muster.api.identity.AuthSettings.ExternalIssuer;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mints Muster's tokens and checks every token a request carries. A token is a JWT signed with
 * ES256 by a key of the {@link KeyRing} ({@code kid} header), with {@code iss}, {@code aud}, {@code
 * sub}, {@code exp}, {@code iat}, {@code nbf}, {@code jti}, a space-separated {@code scope}, and
 * Muster's {@code kind} and {@code workspace}. A token of a trusted external issuer is checked
 * against that issuer's key set and its claims are mapped ({@link ExternalIssuer}).
 *
 * <p>Refused, each with its 401 code ({@link AuthFailure}): anything that is not a signed JWT
 * (including {@code alg: none}); another algorithm than the issuer's (an HMAC signed with a public
 * key is never accepted); an unknown or retired {@code kid}; a bad signature; another issuer or
 * audience; expired or not yet valid (give or take {@code clock-skew}); a missing claim; scopes its
 * kind may not carry; a revoked {@code jti} or subject ({@link AccessView}).
 *
 * <p>Verifying a signature costs far more than the rest, so a verified token is kept (up to {@code
 * verified-cache-size}, then the cache starts over); expiry and revocation are checked on every
 * request all the same, and the cache is emptied when a key is retired.
 */
public final class Tokens {
  private static final Logger log = LoggerFactory.getLogger(Tokens.class);
  private static final Set<JWSAlgorithm> EXTERNAL_ALGORITHMS =
      Set.of(JWSAlgorithm.RS256, JWSAlgorithm.PS256, JWSAlgorithm.ES256);
  private static final Duration UNKNOWN_KID_RELOAD = Duration.ofSeconds(1);

  /** A token as minted: the compact JWT (shown once) and what it says. */
  public record Minted(String token, Principal principal) {}

  private final AuthSettings settings;
  private final KeyRing keys;
  private final AccessView access;
  private final Clock clock;
  private final Map<String, ExternalKeys> external;
  private final Map<String, Principal> verified = new ConcurrentHashMap<>();
  private final AtomicLong lastUnknownKidReload = new AtomicLong();

  public Tokens(AuthSettings settings, KeyRing keys, AccessView access, Clock clock) {
    this.settings = settings;
    this.keys = keys;
    this.access = access;
    this.clock = clock;
    this.external =
        settings.externalIssuers().stream()
            .collect(
                Collectors.toUnmodifiableMap(
                    ExternalIssuer::issuer, i -> new ExternalKeys(i, clock)));
  }

  public KeyRing keys() {
    return keys;
  }

  /**
   * Reads the keys file again when it changed (a rotation or retirement on another node); then
   * forgets the verified signatures, some of which a retired key may have made.
   */
  public boolean reloadKeys() {
    boolean changed = keys.reloadIfChanged();
    if (changed) {
      verified.clear();
    }
    return changed;
  }

  /** Retires key {@code kid} ({@link KeyRing#retire}) and forgets the signatures it made. */
  public KeyRing.KeyInfo retire(String kid) {
    KeyRing.KeyInfo retired = keys.retire(kid);
    verified.clear();
    return retired;
  }

  // Minting

  /**
   * A new token of {@code kind} for {@code subject}, bound to {@code workspace} (bound kinds),
   * carrying {@code scopes} (at most what the kind allows), valid for {@code ttl} from now.
   */
  public Minted mint(
      TokenKind kind, String subject, Optional<String> workspace, Set<Scope> scopes, Duration ttl) {
    if (kind.bound() != workspace.isPresent()) {
      throw new IllegalArgumentException(kind.wire() + " tokens need a workspace iff bound");
    }
    if (!kind.allowed().containsAll(scopes)) {
      throw new IllegalArgumentException(kind.wire() + " tokens cannot carry " + scopes);
    }
    ECKey key = keys.signingKey().orElseThrow(() -> new IllegalStateException("no signing key"));
    Instant now = clock.instant();
    Instant issued = now.minusNanos(now.getNano());
    Instant expires = issued.plus(ttl);
    String jti = "t-" + UUID.randomUUID();
    JWTClaimsSet.Builder claims =
        new JWTClaimsSet.Builder()
            .issuer(settings.issuer())
            .audience(settings.audience())
            .subject(subject)
            .issueTime(Date.from(issued))
            .notBeforeTime(Date.from(issued))
            .expirationTime(Date.from(expires))
            .jwtID(jti)
            .claim("scope", wire(scopes))
            .claim("kind", kind.wire());
    workspace.ifPresent(w -> claims.claim("workspace", w));
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(KeyRing.ALGORITHM)
                .keyID(key.getKeyID())
                .type(JOSEObjectType.JWT)
                .build(),
            claims.build());
    try {
      jwt.sign(new ECDSASigner(key));
    } catch (JOSEException e) {
      throw new IllegalStateException("Cannot sign a token with key " + key.getKeyID(), e);
    }
    return new Minted(
        jwt.serialize(),
        new Principal(subject, kind, workspace, scopes, jti, issued, expires, settings.issuer()));
  }

  /** Scopes as the {@code scope} claim writes them: their wire names, sorted, space-separated. */
  public static String wire(Collection<Scope> scopes) {
    return scopes.stream().map(Scope::wire).sorted().collect(Collectors.joining(" "));
  }

  // Checking

  /** Whether {@code token} was verified by this node and is still remembered. */
  public boolean known(String token) {
    return verified.containsKey(token);
  }

  /** Who {@code token} says is calling; an {@link ApiException} 401 when it is not accepted. */
  public Principal verify(String token) {
    Principal principal = verified.get(token);
    if (principal == null) {
      principal = verifySignatureAndClaims(token);
      if (verified.size() >= settings.verifiedCacheSize()) {
        verified.clear();
      }
      verified.put(token, principal);
    }
    Instant now = clock.instant();
    if (!now.isBefore(principal.expiresAt().plus(settings.clockSkew()))) {
      throw AuthFailure.of(AuthFailure.EXPIRED, "the token expired at " + principal.expiresAt());
    }
    if (now.plus(settings.clockSkew()).isBefore(principal.issuedAt())) {
      throw AuthFailure.of(
          AuthFailure.NOT_YET_VALID, "the token is valid from " + principal.issuedAt());
    }
    Optional<String> revoked = access.revocation(principal);
    if (revoked.isPresent()) {
      throw AuthFailure.of(AuthFailure.REVOKED, revoked.get());
    }
    return principal;
  }

  private Principal verifySignatureAndClaims(String token) {
    SignedJWT jwt;
    JWTClaimsSet claims;
    try {
      jwt = SignedJWT.parse(token);
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException | RuntimeException e) {
      throw invalid("the token is not a signed JWT");
    }
    String issuer = Optional.ofNullable(claims.getIssuer()).orElse("");
    if (issuer.equals(settings.issuer())) {
      checkOwnSignature(jwt);
      return ownClaims(claims);
    }
    ExternalKeys trusted = external.get(issuer);
    if (trusted == null) {
      throw invalid("the token's issuer is not trusted");
    }
    trusted.check(jwt);
    return trusted.claims(claims);
  }

  private void checkOwnSignature(SignedJWT jwt) {
    JWSHeader header = jwt.getHeader();
    if (!KeyRing.ALGORITHM.equals(header.getAlgorithm())) {
      throw invalid(
          "the token is signed with " + header.getAlgorithm() + "; Muster accepts ES256 only");
    }
    String kid = header.getKeyID();
    if (kid == null) {
      throw invalid("the token names no key (kid)");
    }
    Optional<ECKey> key = keys.verifier(kid);
    if (key.isEmpty() && keys.retiredAt(kid).isEmpty()) {
      long now = clock.millis();
      long last = lastUnknownKidReload.get();
      if (now - last >= UNKNOWN_KID_RELOAD.toMillis()
          && lastUnknownKidReload.compareAndSet(last, now)) {
        reloadKeys();
      }
      key = keys.verifier(kid);
    }
    if (key.isEmpty()) {
      throw invalid(
          keys.retiredAt(kid)
              .map(at -> "the token's key " + kid + " was retired at " + at)
              .orElse("the token's key " + kid + " is not known"));
    }
    try {
      if (!jwt.verify(new ECDSAVerifier(key.get().toECPublicKey()))) {
        throw invalid("the token's signature does not verify");
      }
    } catch (JOSEException e) {
      throw invalid("the token's signature does not verify");
    }
  }

  private Principal ownClaims(JWTClaimsSet claims) {
    requireAudience(claims, settings.audience());
    TokenKind kind =
        TokenKind.ofWire(text(claims, "kind"))
            .orElseThrow(() -> invalid("the token's kind is not one of Muster's"));
    Optional<String> workspace = Optional.ofNullable(text(claims, "workspace"));
    if (kind.bound() != workspace.isPresent()) {
      throw invalid(
          kind.bound()
              ? "a " + kind.wire() + " token must name its workspace"
              : "an operator token names no workspace");
    }
    Set<Scope> scopes = scopes(Optional.ofNullable(claims.getClaim("scope")), true);
    if (!kind.allowed().containsAll(scopes)) {
      throw invalid("the token carries scopes a " + kind.wire() + " token may not have");
    }
    return principal(claims, kind, workspace, scopes, required(claims.getJWTID(), "jti"));
  }

  private Principal principal(
      JWTClaimsSet claims,
      TokenKind kind,
      Optional<String> workspace,
      Set<Scope> scopes,
      String jti) {
    Date exp = claims.getExpirationTime();
    Date iat = claims.getIssueTime();
    if (exp == null || iat == null) {
      throw invalid("the token must have exp and iat");
    }
    Instant notBefore =
        claims.getNotBeforeTime() == null
            ? iat.toInstant()
            : max(iat.toInstant(), claims.getNotBeforeTime().toInstant());
    return new Principal(
        required(claims.getSubject(), "sub"),
        kind,
        workspace,
        scopes,
        jti,
        notBefore,
        exp.toInstant(),
        claims.getIssuer());
  }

  private static Instant max(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  private static void requireAudience(JWTClaimsSet claims, String audience) {
    List<String> aud = claims.getAudience();
    if (aud == null || !aud.contains(audience)) {
      throw invalid("the token is not meant for this audience");
    }
  }

  /**
   * The scopes of a claim (a space-separated string or an array). Muster's own tokens name only
   * known scopes ({@code strict}); an external issuer's may name others, which are ignored.
   */
  private static Set<Scope> scopes(Optional<Object> claim, boolean strict) {
    if (claim.isEmpty()) {
      throw invalid("the token has no scope");
    }
    List<String> names;
    if (claim.get() instanceof String text) {
      names = List.of(text.trim().split("\\s+"));
    } else if (claim.get() instanceof List<?> list) {
      names = list.stream().map(String::valueOf).toList();
    } else {
      throw invalid("the token's scope is neither a string nor a list");
    }
    Set<Scope> scopes = EnumSet.noneOf(Scope.class);
    for (String name : names) {
      if (name.isEmpty()) {
        continue;
      }
      Optional<Scope> scope = Scope.ofWire(name);
      if (scope.isEmpty() && strict) {
        throw invalid("the token names an unknown scope");
      }
      scope.ifPresent(scopes::add);
    }
    return scopes;
  }

  private static String text(JWTClaimsSet claims, String name) {
    try {
      return claims.getStringClaim(name);
    } catch (ParseException e) {
      throw invalid("the token's " + name + " claim is not a string");
    }
  }

  private static String required(String value, String claim) {
    if (value == null || value.isBlank()) {
      throw invalid("the token has no " + claim);
    }
    return value;
  }

  private static ApiException invalid(String message) {
    return AuthFailure.of(AuthFailure.INVALID, message);
  }

  /**
   * A trusted issuer's key set: read from its file or URL, read again after {@code refresh}, or
   * when a token names a key it does not have (at most once per {@code refresh} / 10).
   */
  private static final class ExternalKeys {
    private final ExternalIssuer issuer;
    private final Clock clock;
    private volatile com.nimbusds.jose.jwk.JWKSet set = new com.nimbusds.jose.jwk.JWKSet();
    private volatile Instant loadedAt = Instant.EPOCH;

    ExternalKeys(ExternalIssuer issuer, Clock clock) {
      this.issuer = issuer;
      this.clock = clock;
    }

    void check(SignedJWT jwt) {
      JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
      if (!EXTERNAL_ALGORITHMS.contains(alg)) {
        throw invalid("the token is signed with " + alg + ", which is not accepted");
      }
      String kid = jwt.getHeader().getKeyID();
      JWK key = find(kid);
      try {
        JWSVerifier verifier;
        if (key instanceof RSAKey rsa && !JWSAlgorithm.Family.EC.contains(alg)) {
          verifier = new RSASSAVerifier(rsa.toRSAPublicKey());
        } else if (key instanceof ECKey ec && alg.equals(JWSAlgorithm.ES256)) {
          verifier = new ECDSAVerifier(ec.toECPublicKey());
        } else {
          throw invalid("the token's key does not match its algorithm");
        }
        if (!jwt.verify(verifier)) {
          throw invalid("the token's signature does not verify");
        }
      } catch (JOSEException e) {
        throw invalid("the token's signature does not verify");
      }
    }

    Principal claims(JWTClaimsSet claims) {
      requireAudience(claims, issuer.audience());
      String subject = stringClaim(claims, issuer.subjectClaim());
      Optional<String> workspace =
          issuer.kind().bound()
              ? Optional.of(stringClaim(claims, issuer.workspaceClaim()))
              : Optional.empty();
      Object scopeClaim = claims.getClaim(issuer.scopeClaim());
      Set<Scope> scopes =
          scopeClaim == null
              ? issuer.kind().allowed()
              : scopes(Optional.of(scopeClaim), false).stream()
                  .filter(issuer.kind().allowed()::contains)
                  .collect(Collectors.toCollection(() -> EnumSet.noneOf(Scope.class)));
      Date exp = claims.getExpirationTime();
      if (exp == null) {
        throw invalid("the token must have exp");
      }
      Instant from =
          Optional.ofNullable(claims.getNotBeforeTime())
              .or(() -> Optional.ofNullable(claims.getIssueTime()))
              .map(Date::toInstant)
              .orElse(Instant.EPOCH);
      return new Principal(
          subject,
          issuer.kind(),
          workspace,
          scopes,
          Optional.ofNullable(claims.getJWTID()).orElse(""),
          from,
          exp.toInstant(),
          issuer.issuer());
    }

    private static String stringClaim(JWTClaimsSet claims, String name) {
      Object value = claims.getClaim(name);
      if (!(value instanceof String text) || text.isBlank()) {
        throw invalid("the token has no " + name);
      }
      return text;
    }

    private JWK find(String kid) {
      Instant now = clock.instant();
      if (now.isAfter(loadedAt.plus(issuer.refresh()))) {
        load(now);
      }
      Function<String, JWK> lookup =
          id ->
              id == null ? (set.size() == 1 ? set.getKeys().get(0) : null) : set.getKeyByKeyId(id);
      JWK key = lookup.apply(kid);
      if (key == null && now.isAfter(loadedAt.plus(issuer.refresh().dividedBy(10)))) {
        load(now);
        key = lookup.apply(kid);
      }
      if (key == null) {
        throw invalid("the token's key is not in its issuer's key set");
      }
      return key;
    }

    private synchronized void load(Instant now) {
      try {
        set =
            issuer.jwksFile().isPresent()
                ? com.nimbusds.jose.jwk.JWKSet.load(issuer.jwksFile().get().toFile())
                : com.nimbusds.jose.jwk.JWKSet.load(issuer.jwksUrl().get().toURL());
        loadedAt = now;
      } catch (Exception e) {
        log.warn("Cannot load the key set of issuer {}: {}", issuer.issuer(), e.getMessage());
        loadedAt = now;
      }
    }
  }
}
