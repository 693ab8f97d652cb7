package dev.muster.api.limits;

/**
 * What kind of call a request is, for rate limiting: each kind has buckets of its own, so that a
 * flood of one kind (a worker polling its inbox) never starves another (an operator cancelling a
 * mission).
 */
public enum ScopeClass {
  /** GETs of the API: reading missions, participants, lists, the backlog. */
  READ,
  /** State-changing calls of operators and workspaces: submit, cancel, approve, register. */
  WRITE,
  /** A worker's own loop: inbox polls and acks, heartbeats, an attempt's complete/fail/decline. */
  WORK,
  /** Tokens, keys, devices, the audit log. */
  ADMIN;

  /** The name of this class in configuration ({@code read}, {@code write}, ...). */
  String configName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
