package dev.muster.api.access;

import static dev.muster.api.access.Scope.AUDIT_READ;
import static dev.muster.api.access.Scope.BUDGETS_READ;
import static dev.muster.api.access.Scope.BUDGETS_WRITE;
import static dev.muster.api.access.Scope.KEYS_MANAGE;
import static dev.muster.api.access.Scope.MISSIONS_OPERATE;
import static dev.muster.api.access.Scope.MISSIONS_READ;
import static dev.muster.api.access.Scope.MISSIONS_WRITE;
import static dev.muster.api.access.Scope.PARTICIPANTS_READ;
import static dev.muster.api.access.Scope.PARTICIPANTS_WRITE;
import static dev.muster.api.access.Scope.TOKENS_MANAGE;
import static dev.muster.api.access.Scope.WORK;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Every route of {@code /api/v1} with the scope it needs: the one table of who may do what (the
 * README prints it with the token kinds that have each scope; a test holds the two together). A
 * request that matches no row is not found, whatever route code exists, so a route cannot be
 * reached before it has a row here. {@link Rule#own} marks the routes of one participant ({@code
 * {id}} is the participant): a participant's credential reaches them for itself only. (The attempts
 * of a mission are checked by the mission: a participant reaches only the attempts offered to it.)
 */
public final class RouteTable {

  /**
   * One route: method, path template ({@code {name}} matches one segment), the scope it needs
   * (empty: any valid token), whether it is a participant's own, and whether a request is an audit
   * record: every state-changing one, except the heartbeats, which say "still alive" and change no
   * fact (a worker's heartbeat every few seconds would otherwise fill the audit).
   */
  public record Rule(
      String method, String template, Optional<Scope> scope, boolean own, boolean audited) {
    String[] segments() {
      return split(template);
    }
  }

  /** A request matched to its rule, with the values of the template's names, in order. */
  public record Match(Rule rule, Map<String, String> params) {
    public List<String> targets() {
      return List.copyOf(params.values());
    }
  }

  public static final List<Rule> RULES =
      List.of(
          rule("GET", "/api/v1/me", null),
          // Missions and escalations
          rule("POST", "/api/v1/missions", MISSIONS_WRITE),
          rule("GET", "/api/v1/missions", MISSIONS_READ),
          rule("GET", "/api/v1/missions/{id}", MISSIONS_READ),
          rule("GET", "/api/v1/missions/{id}/history", MISSIONS_READ),
          rule("POST", "/api/v1/missions/{id}/cancel", MISSIONS_WRITE),
          rule("POST", "/api/v1/missions/{id}/approval", MISSIONS_OPERATE),
          liveness("/api/v1/missions/{id}/attempts/{n}/heartbeat", false),
          rule("POST", "/api/v1/missions/{id}/attempts/{n}/complete", WORK),
          rule("POST", "/api/v1/missions/{id}/attempts/{n}/fail", WORK),
          rule("POST", "/api/v1/missions/{id}/attempts/{n}/decline", WORK),
          rule("POST", "/api/v1/missions/{id}/attempts/{n}/handoff", WORK),
          rule("GET", "/api/v1/escalations", MISSIONS_READ),
          rule("POST", "/api/v1/escalations/{id}/resolve", MISSIONS_OPERATE),
          rule("GET", "/api/v1/backlog", MISSIONS_READ),
          // Participants and their work
          rule("POST", "/api/v1/participants", PARTICIPANTS_WRITE),
          rule("GET", "/api/v1/participants", PARTICIPANTS_READ),
          rule("GET", "/api/v1/participants/{id}", PARTICIPANTS_READ),
          rule("PATCH", "/api/v1/participants/{id}", PARTICIPANTS_WRITE),
          rule("POST", "/api/v1/participants/{id}/drain", PARTICIPANTS_WRITE),
          rule("POST", "/api/v1/participants/{id}/stand-down", PARTICIPANTS_WRITE),
          liveness("/api/v1/participants/{id}/heartbeat", true),
          own("GET", "/api/v1/participants/{id}/inbox"),
          own("GET", "/api/v1/participants/{id}/inbox/stream"),
          own("POST", "/api/v1/participants/{id}/inbox/{message}/ack"),
          // Budgets
          rule("PUT", "/api/v1/budgets/{scope}", BUDGETS_WRITE),
          rule("GET", "/api/v1/budgets/{scope}", BUDGETS_READ),
          // Identity: tokens, devices, keys, audit
          rule("POST", "/api/v1/tokens", TOKENS_MANAGE),
          rule("GET", "/api/v1/tokens", TOKENS_MANAGE),
          rule("DELETE", "/api/v1/tokens/{jti}", TOKENS_MANAGE),
          rule("DELETE", "/api/v1/subjects/{subject}/tokens", TOKENS_MANAGE),
          rule("POST", "/api/v1/devices", TOKENS_MANAGE),
          rule("GET", "/api/v1/devices", TOKENS_MANAGE),
          rule("GET", "/api/v1/keys", KEYS_MANAGE),
          rule("POST", "/api/v1/keys/rotate", KEYS_MANAGE),
          rule("POST", "/api/v1/keys/{kid}/retire", KEYS_MANAGE),
          rule("GET", "/api/v1/audit", AUDIT_READ));

  /** Each rule with its template split once: matching runs on every request. */
  private record Compiled(Rule rule, String[] segments) {}

  private static final List<Compiled> COMPILED =
      RULES.stream().map(r -> new Compiled(r, split(r.template()))).toList();

  private static Rule rule(String method, String template, Scope scope) {
    return new Rule(method, template, Optional.ofNullable(scope), false, !method.equals("GET"));
  }

  private static Rule own(String method, String template) {
    return new Rule(method, template, Optional.of(WORK), true, !method.equals("GET"));
  }

  private static Rule liveness(String template, boolean own) {
    return new Rule("POST", template, Optional.of(WORK), own, false);
  }

  private RouteTable() {}

  /** The rule of {@code method} on {@code path}, if the table has one. */
  public static Optional<Match> match(String method, String path) {
    String[] segments = split(path);
    for (Compiled compiled : COMPILED) {
      if (compiled.rule().method().equals(method)) {
        Optional<Map<String, String>> params = params(compiled.segments(), segments);
        if (params.isPresent()) {
          return Optional.of(new Match(compiled.rule(), params.get()));
        }
      }
    }
    return Optional.empty();
  }

  /** The methods the table has for {@code path} (for a 405's {@code Allow}). */
  public static List<String> methods(String path) {
    String[] segments = split(path);
    return COMPILED.stream()
        .filter(compiled -> params(compiled.segments(), segments).isPresent())
        .map(compiled -> compiled.rule().method())
        .distinct()
        .collect(Collectors.toList());
  }

  private static Optional<Map<String, String>> params(String[] template, String[] path) {
    if (template.length != path.length) {
      return Optional.empty();
    }
    Map<String, String> params = new LinkedHashMap<>();
    for (int i = 0; i < template.length; i++) {
      String t = template[i];
      if (t.startsWith("{")) {
        if (path[i].isEmpty()) {
          return Optional.empty();
        }
        params.put(t.substring(1, t.length() - 1), path[i]);
      } else if (!t.equals(path[i])) {
        return Optional.empty();
      }
    }
    return Optional.of(params);
  }

  /**
   * Path segments, without the leading slash. A trailing slash is an empty last segment, which no
   * template has: {@code /api/v1/missions/} is no route (one spelling of every path, so that the
   * scope checked is always the route's).
   */
  private static String[] split(String path) {
    String trimmed = path.startsWith("/") ? path.substring(1) : path;
    return trimmed.split("/", -1);
  }
}
