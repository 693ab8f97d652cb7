package dev.muster.api.identity;

import dev.muster.api.access.Scope;
import dev.muster.config.Caller;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * Who a verified token says is calling: its subject (the only identity Muster trusts; a {@code
 * from} or actor in a body never counts), kind, workspace (for every kind but operator), scopes,
 * and the token's {@code jti}, issue and expiry times, and issuer.
 */
public record Principal(
    String subject,
    TokenKind kind,
    Optional<String> workspace,
    Set<Scope> scopes,
    String jti,
    Instant issuedAt,
    Instant expiresAt,
    String issuer) {

  public Principal {
    scopes = Set.copyOf(scopes);
  }

  /** The caller the entities see: confined to the workspace; a participant only as itself. */
  public Caller caller() {
    return kind == TokenKind.PARTICIPANT
        ? Caller.participant(workspace.orElseThrow(), subject)
        : new Caller(workspace, subject);
  }
}
