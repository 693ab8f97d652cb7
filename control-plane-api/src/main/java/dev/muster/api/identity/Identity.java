package dev.muster.api.identity;

import dev.muster.api.access.Scope;
import dev.muster.api.identity.Tokens.Minted;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Identity on one node: the key ring, the token checker, the revocation view, and the one way to
 * hand out a token ({@link #issue}: minted, recorded in the {@link TokenRegistry}, then shown
 * once). At a node's first start (the keys file did not exist) it writes the first operator's token
 * to {@code muster.auth.operator-token-file}: there is no default password.
 */
public final class Identity {
  private static final Logger log = LoggerFactory.getLogger(Identity.class);

  /** The subject of the token the first start writes. */
  public static final String FIRST_OPERATOR = "operator";

  private final ActorSystem<?> system;
  private final AuthSettings settings;
  private final Tokens tokens;
  private final AccessView view;
  private final Duration askTimeout;

  private Identity(
      ActorSystem<?> system,
      AuthSettings settings,
      Tokens tokens,
      AccessView view,
      Duration askTimeout) {
    this.system = system;
    this.settings = settings;
    this.tokens = tokens;
    this.view = view;
    this.askTimeout = askTimeout;
  }

  /**
   * Opens (or, at the first start, creates) the keys, starts the registry's sharding and this
   * node's revocation view, reloads the keys when their file changes, and writes the first
   * operator's token when the keys were created now.
   */
  public static Identity start(
      ActorSystem<?> system, AuthSettings settings, Duration askTimeout, Clock clock) {
    KeyRing.Opened opened = KeyRing.open(settings.keysFile(), clock);
    TokenRegistry.init(system, settings, clock);
    AccessView view = AccessView.start(system, settings);
    Tokens tokens = new Tokens(settings, opened.ring(), view, clock);
    system
        .scheduler()
        .scheduleWithFixedDelay(
            settings.keysReloadInterval(),
            settings.keysReloadInterval(),
            tokens::reloadKeys,
            system.executionContext());
    Identity identity = new Identity(system, settings, tokens, view, askTimeout);
    awaitRevocations(view, settings.startTimeout());
    if (opened.created()) {
      try {
        identity.writeFirstOperatorToken();
      } catch (RuntimeException e) {
        // Without its token nobody could ever get in: the next start must be a first start again.
        deleteQuietly(settings.keysFile());
        throw e;
      }
    }
    return identity;
  }

  public AuthSettings settings() {
    return settings;
  }

  public Tokens tokens() {
    return tokens;
  }

  public AccessView view() {
    return view;
  }

  /**
   * Mints a token and records it; the stage completes (with the token, to be shown once) when the
   * record is in the journal.
   */
  public CompletionStage<Minted> issue(
      TokenKind kind,
      String subject,
      Optional<String> workspace,
      Set<Scope> scopes,
      Duration ttl,
      String issuedBy) {
    Minted minted = tokens.mint(kind, subject, workspace, scopes, ttl);
    return TokenRegistry.ref(system)
        .<TokenRegistry.TokenRecord>askWithStatus(
            replyTo ->
                new TokenRegistry.Issue(
                    TokenRegistry.TokenRecord.of(minted.principal(), issuedBy), replyTo),
            askTimeout)
        .thenApply(recorded -> minted);
  }

  /**
   * Waits (at most {@code timeout}) until this node has read every stored revocation: until then it
   * accepts no token (503), so a node that answers has its revocations. When the journal cannot be
   * read in time the node starts anyway and answers 503 until it can.
   */
  private static void awaitRevocations(AccessView view, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (!view.ready() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!view.ready()) {
      log.warn(
          "The revocations were not read from the journal within {}: tokens are refused (503)"
              + " until they are",
          timeout);
    }
  }

  private void writeFirstOperatorToken() {
    Path file = settings.operatorTokenFile();
    Minted minted;
    try {
      minted =
          issue(
                  TokenKind.OPERATOR,
                  FIRST_OPERATOR,
                  Optional.empty(),
                  TokenKind.OPERATOR.allowed(),
                  settings.firstOperatorTtl(),
                  "first start")
              .toCompletableFuture()
              .get(settings.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(
          "Could not record the first operator's token in the journal: " + e.getMessage(), e);
    }
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.deleteIfExists(file);
      Files.createFile(
          file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(file, minted.token() + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write the first operator's token to " + file, e);
    }
    log.info(
        "First start: the operator's token (subject '{}', valid until {}) is in {} (mode 0600)."
            + " It is written once; mint other tokens with it (POST /api/v1/tokens).",
        FIRST_OPERATOR,
        minted.principal().expiresAt(),
        file.toAbsolutePath());
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      log.warn("Cannot delete {}: {}", file, e.getMessage());
    }
  }
}
