package dev.muster.api.identity;

import com.typesafe.config.Config;
import dev.muster.config.Settings;
import dev.muster.config.SettingsException;
import dev.muster.config.readside.JournalFollower;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;

/**
 * How tokens are signed, checked and handed out ({@code muster.auth.*}); see reference.conf.
 *
 * @param keysFile the JWK set every node of a cluster shares
 * @param operatorTokenFile where the first start writes the first operator's token
 * @param persistFailure how the token registry restarts after a failed journal write
 * @param externalIssuers identity providers whose tokens are trusted, by their key sets
 */
public record AuthSettings(
    Path keysFile,
    Duration keysReloadInterval,
    String issuer,
    String audience,
    Duration clockSkew,
    Map<TokenKind, Duration> defaultTtl,
    Duration maxTtl,
    Path operatorTokenFile,
    Duration firstOperatorTtl,
    Duration startTimeout,
    int verifiedCacheSize,
    JournalFollower.Settings follower,
    BackoffSupervisorStrategy persistFailure,
    List<ExternalIssuer> externalIssuers) {

  /**
   * An identity provider trusted by its JWK set (a file, or a URL refetched every {@code refresh}),
   * with how its claims map to Muster's: the subject claim, the kind its tokens are, the claim that
   * names the workspace (for bound kinds), and the claim that lists scopes (space-separated, or a
   * JSON array), narrowed to what the kind allows.
   */
  public record ExternalIssuer(
      String issuer,
      String audience,
      Optional<Path> jwksFile,
      Optional<URI> jwksUrl,
      Duration refresh,
      String subjectClaim,
      TokenKind kind,
      String workspaceClaim,
      String scopeClaim) {}

  public static AuthSettings from(Config config, Path dataDir) {
    Config muster = config.getConfig("muster");
    String p = "auth.";
    String keys = Settings.string(muster, p + "keys-file");
    String operatorToken = Settings.string(muster, p + "operator-token-file");
    Map<TokenKind, Duration> ttl = new EnumMap<>(TokenKind.class);
    for (TokenKind kind : TokenKind.values()) {
      ttl.put(kind, Settings.positiveDuration(muster, p + "default-ttl." + kind.wire()));
    }
    Duration maxTtl = Settings.positiveDuration(muster, p + "max-ttl");
    ttl.forEach(
        (kind, d) -> {
          if (d.compareTo(maxTtl) > 0) {
            throw new SettingsException(
                "muster." + p + "default-ttl." + kind.wire(), "must be at most max-ttl " + maxTtl);
          }
        });
    return new AuthSettings(
        keys.isBlank() ? dataDir.resolve("auth").resolve("keys.json") : Path.of(keys),
        Settings.positiveDuration(muster, p + "keys-reload-interval"),
        nonBlank(muster, p + "issuer"),
        nonBlank(muster, p + "audience"),
        Settings.read(muster, p + "clock-skew", muster::getDuration),
        Map.copyOf(ttl),
        maxTtl,
        operatorToken.isBlank()
            ? dataDir.resolve("operator.token")
            : Path.of(operatorToken).toAbsolutePath(),
        Settings.positiveDuration(muster, p + "first-operator-ttl"),
        Settings.positiveDuration(muster, p + "start-timeout"),
        Settings.positiveInt(muster, p + "verified-cache-size"),
        JournalFollower.Settings.from(muster, p + "follower."),
        Settings.restartWithBackoff(muster, p + "persist-failure."),
        muster.getConfigList(p + "external-issuers").stream().map(AuthSettings::external).toList());
  }

  private static ExternalIssuer external(Config c) {
    String where = "muster.auth.external-issuers[" + c.origin().lineNumber() + "]";
    Optional<Path> file =
        c.hasPath("jwks-file") ? Optional.of(Path.of(c.getString("jwks-file"))) : Optional.empty();
    Optional<URI> url =
        c.hasPath("jwks-url") ? Optional.of(URI.create(c.getString("jwks-url"))) : Optional.empty();
    if (file.isPresent() == url.isPresent()) {
      throw new SettingsException(where, "name exactly one of jwks-file and jwks-url");
    }
    TokenKind kind =
        TokenKind.ofWire(c.hasPath("kind") ? c.getString("kind") : "operator")
            .filter(k -> k == TokenKind.OPERATOR || k == TokenKind.WORKSPACE)
            .orElseThrow(() -> new SettingsException(where, "kind must be operator or workspace"));
    if (!c.hasPath("issuer") || c.getString("issuer").isBlank()) {
      throw new SettingsException(where, "issuer is required");
    }
    return new ExternalIssuer(
        c.getString("issuer"),
        c.hasPath("audience") ? c.getString("audience") : "muster",
        file,
        url,
        c.hasPath("refresh") ? c.getDuration("refresh") : Duration.ofMinutes(5),
        c.hasPath("subject-claim") ? c.getString("subject-claim") : "sub",
        kind,
        c.hasPath("workspace-claim") ? c.getString("workspace-claim") : "workspace",
        c.hasPath("scope-claim") ? c.getString("scope-claim") : "scope");
  }

  private static String nonBlank(Config muster, String path) {
    String value = Settings.string(muster, path);
    if (value.isBlank()) {
      throw new SettingsException("muster." + path, "must not be blank");
    }
    return value;
  }
}
