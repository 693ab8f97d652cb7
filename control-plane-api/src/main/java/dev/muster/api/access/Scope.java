package dev.muster.api.access;

import dev.muster.api.limits.ScopeClass;
import java.util.Arrays;
import java.util.Optional;

/**
 * What a token may do. Every route needs one scope ({@link RouteTable}); a token carries the scopes
 * it was minted with, at most those its {@link dev.muster.api.identity.TokenKind} allows. The wire
 * name is what a token's space-separated {@code scope} claim holds.
 */
public enum Scope {
  MISSIONS_READ("missions:read", ScopeClass.READ),
  MISSIONS_WRITE("missions:write", ScopeClass.WRITE),
  MISSIONS_OPERATE("missions:operate", ScopeClass.WRITE),
  PARTICIPANTS_READ("participants:read", ScopeClass.READ),
  PARTICIPANTS_WRITE("participants:write", ScopeClass.WRITE),
  WORK("work", ScopeClass.WORK),
  BUDGETS_READ("budgets:read", ScopeClass.READ),
  BUDGETS_WRITE("budgets:write", ScopeClass.WRITE),
  TOKENS_MANAGE("tokens:manage", ScopeClass.ADMIN),
  KEYS_MANAGE("keys:manage", ScopeClass.ADMIN),
  AUDIT_READ("audit:read", ScopeClass.ADMIN);

  private final String wire;
  private final ScopeClass weight;

  Scope(String wire, ScopeClass weight) {
    this.wire = wire;
    this.weight = weight;
  }

  public String wire() {
    return wire;
  }

  /** Which rate-limit bucket a request of this scope draws on. */
  public ScopeClass weight() {
    return weight;
  }

  public static Optional<Scope> ofWire(String wire) {
    return Arrays.stream(values()).filter(s -> s.wire.equals(wire)).findFirst();
  }
}
