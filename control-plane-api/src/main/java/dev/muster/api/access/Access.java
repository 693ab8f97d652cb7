package dev.muster.api.access;

import com.fasterxml.jackson.databind.JsonNode;
import dev.muster.api.audit.AuditLog;
import dev.muster.api.audit.AuditRecord;
import dev.muster.api.http.ApiErrors;
import dev.muster.api.http.ApiException;
import dev.muster.api.identity.AccessView;
import dev.muster.api.identity.AuthFailure;
import dev.muster.api.identity.Principal;
import dev.muster.api.identity.TokenKind;
import dev.muster.api.identity.Tokens;
import dev.muster.api.limits.RateLimits;
import dev.muster.api.limits.ScopeClass;
import dev.muster.config.json.Json;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.RemoteAddress;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Complete;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.server.RouteResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where a request's caller is known, in the order every request of {@code /api/v1}
 * takes: the bearer token is verified (401 with its code: {@link AuthFailure}); the request is
 * matched to its row of the {@link RouteTable} (404 when there is none, 405 when only the method is
 * wrong); the token must carry the row's scope (403 {@code scope_denied}); a participant's
 * credential reaches only its own participant routes (404 for another's); the subject's and
 * workspace's rate limits must allow it (429 with {@code Retry-After}, nothing applied). A token
 * the node has not verified yet also draws on its client address's bucket first (a signature is the
 * most a request costs, and forged tokens are new every time). The route then gets the token's
 * {@link dev.muster.config.Caller}; the token subject is the only identity a route ever sees, and
 * nothing in a body or header can change it.
 *
 * <p>A request that changes state (heartbeats aside: {@link RouteTable.Rule#audited}) is answered
 * only once its audit record (subject, device name, workspace, route, targets, status, request id)
 * is in the journal. Failed authentications are counted ({@link #failedAuthentications}) and logged
 * at most once a minute, never stored one by one.
 */
public final class Access extends AllDirectives {
  private static final Logger log = LoggerFactory.getLogger(Access.class);
  private static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,100}");
  private static final Duration FAILURE_LOG_INTERVAL = Duration.ofMinutes(1);
  public static final String REQUEST_ID_HEADER = "X-Request-Id";
  public static final String SCOPE_DENIED = "scope_denied";

  private final Tokens tokens;
  private final AccessView view;
  private final RateLimits limits;
  private final AuditLog audit;
  private final Clock clock;
  private final Duration auditTimeout;
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong failedLogged = new AtomicLong();
  private final AtomicLong lastFailureLog = new AtomicLong();

  public Access(
      Tokens tokens,
      AccessView view,
      RateLimits limits,
      AuditLog audit,
      Duration auditTimeout,
      Clock clock) {
    this.auditTimeout = auditTimeout;
    this.tokens = tokens;
    this.view = view;
    this.limits = limits;
    this.audit = audit;
    this.clock = clock;
  }

  /** How many requests this node refused for their token since it started. */
  public long failedAuthentications() {
    return failed.get();
  }

  /** {@code inner} for the request's verified, authorized caller; see the class comment. */
  public Route authorize(Function<Principal, Route> inner) {
    return extractRequest(
        request -> {
          String requestId = requestId(request);
          return respondWithHeader(
              RawHeader.create(REQUEST_ID_HEADER, requestId),
              () -> {
                Principal principal = authenticate(request);
                String path = request.getUri().path();
                String method = request.method().value();
                RouteTable.Match match =
                    RouteTable.match(method, path).orElseThrow(() -> unmatched(path));
                permit(principal, match);
                Route authorized = ApiErrors.handle(inner.apply(principal));
                return match.rule().audited()
                    ? audited(principal, match, requestId, authorized)
                    : authorized;
              });
        });
  }

  private Principal authenticate(HttpRequest request) {
    Optional<String> header =
        request.getHeader("Authorization").map(HttpHeader::value).map(String::trim);
    try {
      if (header.isEmpty()) {
        throw AuthFailure.missing();
      }
      String value = header.get();
      if (value.length() < 7 || !value.regionMatches(true, 0, "Bearer ", 0, 7)) {
        throw AuthFailure.of(
            AuthFailure.INVALID, "the Authorization header must be 'Bearer <token>'");
      }
      if (!view.ready()) {
        throw ApiException.loading("the revocation list");
      }
      String token = value.substring(7).trim();
      if (!tokens.known(token)) {
        limitNewTokens(request);
      }
      return tokens.verify(token);
    } catch (ApiException refused) {
      if (refused.status().equals(StatusCodes.UNAUTHORIZED)) {
        countFailure(refused);
      }
      throw refused;
    }
  }

  /** A token this node has not verified yet costs a signature: at most so many per address. */
  private void limitNewTokens(HttpRequest request) {
    Optional<String> address =
        request
            .getAttribute(AttributeKeys.remoteAddress)
            .flatMap(RemoteAddress::getAddress)
            .map(InetAddress::getHostAddress);
    Optional<Duration> wait = address.flatMap(limits::takeNewToken);
    if (wait.isPresent()) {
      throw tooMany("too many new tokens from " + address.get(), wait.get());
    }
  }

  private static ApiException tooMany(String why, Duration wait) {
    long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
    return new ApiException(
        StatusCodes.TOO_MANY_REQUESTS,
        ApiErrors.TOO_MANY_REQUESTS,
        why + "; retry in " + seconds + " s",
        List.of(RawHeader.create("Retry-After", Long.toString(seconds))));
  }

  private void countFailure(ApiException refused) {
    long total = failed.incrementAndGet();
    long now = clock.millis();
    long last = lastFailureLog.get();
    if (now - last >= FAILURE_LOG_INTERVAL.toMillis() && lastFailureLog.compareAndSet(last, now)) {
      long since = total - failedLogged.getAndSet(total);
      log.warn(
          "{} request(s) refused for their token since the last report ({} in all); the latest: {}"
              + " ({})",
          since,
          total,
          refused.code(),
          refused.getMessage());
    }
  }

  private ApiException unmatched(String path) {
    List<String> methods = RouteTable.methods(path);
    if (methods.isEmpty()) {
      return ApiException.notFound("no such resource");
    }
    return ApiErrors.notAllowed(
        methods.stream().map(m -> HttpMethods.lookup(m).orElseThrow()).toList());
  }

  /** 403 {@code scope_denied}: the token lacks what the request needs. */
  public static ApiException scopeDenied(String message) {
    return new ApiException(StatusCodes.FORBIDDEN, SCOPE_DENIED, message);
  }

  private void permit(Principal principal, RouteTable.Match match) {
    RouteTable.Rule rule = match.rule();
    if (rule.scope().isPresent() && !principal.scopes().contains(rule.scope().get())) {
      throw scopeDenied(
          "this route needs the scope " + rule.scope().get().wire() + ", which the token lacks");
    }
    if (rule.own()
        && principal.kind() == TokenKind.PARTICIPANT
        && !principal.subject().equals(match.params().get("id"))) {
      throw ApiException.notFound("participant " + match.params().get("id") + " is not registered");
    }
    ScopeClass weight = rule.scope().map(Scope::weight).orElse(ScopeClass.READ);
    // A subject names someone within a workspace: two workspaces' "ci" sessions are two callers.
    String caller =
        principal.workspace().map(w -> w + "/" + principal.subject()).orElse(principal.subject());
    Optional<Duration> wait = limits.take(caller, principal.workspace(), weight);
    if (wait.isPresent()) {
      throw tooMany(
          "too many requests from "
              + principal.subject()
              + principal.workspace().map(w -> " or workspace " + w).orElse(""),
          wait.get());
    }
  }

  /** {@code inner}, answered once its audit record is durable. */
  private Route audited(
      Principal principal, RouteTable.Match match, String requestId, Route inner) {
    return mapRouteResultFuture(
        result ->
            result.thenCompose(
                done -> {
                  if (!(done instanceof Complete complete)) {
                    return java.util.concurrent.CompletableFuture.completedFuture(done);
                  }
                  HttpResponse response = complete.getResponse();
                  AuditRecord record = record(principal, match, requestId, response);
                  CompletionStage<RouteResult> written =
                      audit
                          .record(record)
                          .toCompletableFuture()
                          .orTimeout(auditTimeout.toMillis(), TimeUnit.MILLISECONDS)
                          .handle(
                              (ok, failure) -> {
                                if (failure != null) {
                                  log.error(
                                      "The audit record of request {} ({} {}) was not written: {}",
                                      requestId,
                                      match.rule().method(),
                                      match.rule().template(),
                                      failure.toString());
                                }
                                return done;
                              });
                  return written;
                }),
        () -> inner);
  }

  private AuditRecord record(
      Principal principal, RouteTable.Match match, String requestId, HttpResponse response) {
    List<String> targets = new ArrayList<>(match.targets());
    Optional<String> workspace = principal.workspace();
    Optional<JsonNode> body = strictJson(response.entity());
    if (body.isPresent()) {
      JsonNode created = body.get().path("id");
      if (created.isTextual() && !targets.contains(created.asText())) {
        targets.add(created.asText());
      }
      JsonNode jti = body.get().path("jti");
      if (jti.isTextual() && !targets.contains(jti.asText())) {
        targets.add(jti.asText());
      }
      JsonNode named = body.get().path("workspace");
      if (workspace.isEmpty() && named.isTextual()) {
        workspace = Optional.of(named.asText());
      }
    }
    return new AuditRecord(
        clock.instant(),
        principal.subject(),
        view.deviceName(principal),
        workspace,
        match.rule().method(),
        match.rule().template(),
        targets,
        response.status().intValue(),
        requestId);
  }

  /** A successful answer's JSON, to name what it created and where; nothing for a stream. */
  private static Optional<JsonNode> strictJson(HttpEntity entity) {
    if (!(entity instanceof HttpEntity.Strict strict) || strict.getData().isEmpty()) {
      return Optional.empty();
    }
    try {
      JsonNode node = Json.mapper().readTree(strict.getData().toArray());
      return node != null && node.isObject() ? Optional.of(node) : Optional.empty();
    } catch (java.io.IOException e) {
      return Optional.empty();
    }
  }

  private static String requestId(HttpRequest request) {
    return request
        .getHeader(REQUEST_ID_HEADER)
        .map(HttpHeader::value)
        .filter(v -> REQUEST_ID.matcher(v).matches())
        .orElseGet(() -> "r-" + UUID.randomUUID());
  }
}
