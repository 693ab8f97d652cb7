package dev.muster.api;

import com.typesafe.config.ConfigFactory;
import dev.muster.api.access.Scope;
import dev.muster.api.identity.AccessView;
import dev.muster.api.identity.AuthSettings;
import dev.muster.api.identity.KeyRing;
import dev.muster.api.identity.TokenKind;
import dev.muster.api.identity.Tokens;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tokens for tests. Every node a test starts verifies with one key set ({@code
 * muster.auth.keys-file}, set for the test JVM by the build), and this class signs with it, the way
 * a node mints: real ES256 tokens that every node checks as it checks any. (Tokens minted here are
 * not in any node's token registry, so they are not listed; revocation tests mint through the API.)
 * The first start, which generates keys and writes the operator's token, has its own test.
 */
public final class TestAuth {
  private static final Map<String, String> cache = new ConcurrentHashMap<>();
  private static volatile Tokens tokens;

  private TestAuth() {}

  /** The key set every test node shares. */
  public static Path keysFile() {
    String path = System.getProperty("muster.auth.keys-file");
    if (path == null || path.isBlank()) {
      throw new IllegalStateException(
          "muster.auth.keys-file is not set for this JVM (the build sets it for surefire)");
    }
    return Path.of(path).toAbsolutePath();
  }

  /** An operator's token (subject "operator"): every scope, every workspace. */
  public static String operator() {
    return operator("operator");
  }

  public static String operator(String subject) {
    return cache.computeIfAbsent(
        "operator|" + subject,
        k -> mint(TokenKind.OPERATOR, subject, Optional.empty(), TokenKind.OPERATOR.allowed()));
  }

  /** An enrolled workspace's token: everything a workspace token may do, in {@code workspace}. */
  public static String workspace(String workspace) {
    return cache.computeIfAbsent(
        "workspace|" + workspace,
        k ->
            mint(
                TokenKind.WORKSPACE,
                workspace,
                Optional.of(workspace),
                TokenKind.WORKSPACE.allowed()));
  }

  /** A token of any kind and scopes, valid for an hour. */
  public static String mint(
      TokenKind kind, String subject, Optional<String> workspace, Set<Scope> scopes) {
    return tokens().mint(kind, subject, workspace, scopes, Duration.ofHours(1)).token();
  }

  /** The signer: the shared key set, opened (created by the first to need it) once. */
  public static synchronized Tokens tokens() {
    if (tokens == null) {
      Path keys = keysFile();
      AuthSettings settings = AuthSettings.from(ConfigFactory.load(), keys.getParent());
      KeyRing ring = KeyRing.open(keys, Clock.systemUTC()).ring();
      tokens = new Tokens(settings, ring, (AccessView) null, Clock.systemUTC());
    }
    return tokens;
  }

  /** The value of an Authorization header for {@code token}. */
  public static String bearer(String token) {
    return "Bearer " + token;
  }
}
