package dev.muster.api.identity;

import static dev.muster.api.access.Scope.AUDIT_READ;
import static dev.muster.api.access.Scope.BUDGETS_READ;
import static dev.muster.api.access.Scope.BUDGETS_WRITE;
import static dev.muster.api.access.Scope.MISSIONS_OPERATE;
import static dev.muster.api.access.Scope.MISSIONS_READ;
import static dev.muster.api.access.Scope.MISSIONS_WRITE;
import static dev.muster.api.access.Scope.PARTICIPANTS_READ;
import static dev.muster.api.access.Scope.PARTICIPANTS_WRITE;
import static dev.muster.api.access.Scope.TOKENS_MANAGE;
import static dev.muster.api.access.Scope.WORK;

import dev.muster.api.access.Scope;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * Who a token stands for, and the most it may be allowed. Every kind but {@code operator} is bound
 * to one workspace (its {@code workspace} claim) and sees nothing of another.
 *
 * <ul>
 *   <li>{@code operator}: a person running Muster; every workspace, every scope.
 *   <li>{@code workspace}: an enrolled workspace (subject = the workspace id): its missions,
 *       participants, budgets, its own tokens and devices, its audit.
 *   <li>{@code device}: a phone of a workspace (subject {@code <workspace>:phone:<device>}, a
 *       registered device): reads, submits, and takes the operator's decisions of its workspace.
 *   <li>{@code participant}: a worker's own credential (subject = participant id): its inbox, its
 *       heartbeat, the attempts offered to it. Nothing else.
 *   <li>{@code session}: a connected runtime session of a workspace (the bridge): reads, submits,
 *       and works.
 * </ul>
 */
public enum TokenKind {
  OPERATOR("operator", EnumSet.allOf(Scope.class)),
  WORKSPACE(
      "workspace",
      EnumSet.of(
          MISSIONS_READ,
          MISSIONS_WRITE,
          MISSIONS_OPERATE,
          PARTICIPANTS_READ,
          PARTICIPANTS_WRITE,
          WORK,
          BUDGETS_READ,
          BUDGETS_WRITE,
          TOKENS_MANAGE,
          AUDIT_READ)),
  DEVICE(
      "device",
      EnumSet.of(MISSIONS_READ, MISSIONS_WRITE, MISSIONS_OPERATE, PARTICIPANTS_READ, BUDGETS_READ)),
  PARTICIPANT("participant", EnumSet.of(WORK)),
  SESSION("session", EnumSet.of(MISSIONS_READ, MISSIONS_WRITE, PARTICIPANTS_READ, WORK));

  private final String wire;
  private final Set<Scope> allowed;

  TokenKind(String wire, Set<Scope> allowed) {
    this.wire = wire;
    this.allowed = Set.copyOf(allowed);
  }

  public String wire() {
    return wire;
  }

  /** The scopes a token of this kind may carry (and carries when minted without a list). */
  public Set<Scope> allowed() {
    return allowed;
  }

  /** Whether tokens of this kind belong to one workspace. */
  public boolean bound() {
    return this != OPERATOR;
  }

  public static Optional<TokenKind> ofWire(String wire) {
    return Arrays.stream(values()).filter(k -> k.wire.equals(wire)).findFirst();
  }
}
