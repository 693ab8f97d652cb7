package dev.muster.api.identity;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import dev.muster.api.access.Access;
import dev.muster.api.access.Scope;
import dev.muster.api.http.ApiException;
import dev.muster.api.http.Callers;
import dev.muster.api.http.Cursor;
import dev.muster.api.http.Fields;
import dev.muster.api.http.HttpSettings;
import dev.muster.api.http.JsonSupport;
import dev.muster.api.http.QueryParams;
import dev.muster.api.identity.IdentityApi.DeviceList;
import dev.muster.api.identity.IdentityApi.DeviceRequest;
import dev.muster.api.identity.IdentityApi.KeyList;
import dev.muster.api.identity.IdentityApi.KeyResponse;
import dev.muster.api.identity.IdentityApi.Me;
import dev.muster.api.identity.IdentityApi.MintRequest;
import dev.muster.api.identity.IdentityApi.MintResponse;
import dev.muster.api.identity.IdentityApi.TokenList;
import dev.muster.config.Caller;
import dev.muster.registry.participant.Participant;
import dev.muster.registry.participant.View;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Tokens, devices and keys, under {@code /api/v1}: operators (and a workspace, for its own
 * workspace) mint tokens, list and revoke them, register devices; operators rotate and retire keys.
 * {@code GET /me} tells any caller what its token says.
 *
 * <p>Minting never hands out more than the minter has: the scopes asked for must be the minter's
 * own and allowed for the kind. A workspace's token mints only device, participant and session
 * tokens of its own workspace. A device token is for a registered device; a participant token for a
 * participant registered in that workspace.
 */
public final class IdentityRoutes extends AllDirectives {
  private static final Set<TokenKind> WORKSPACE_MINTS =
      EnumSet.of(TokenKind.DEVICE, TokenKind.PARTICIPANT, TokenKind.SESSION);

  private final ActorSystem<?> system;
  private final Identity identity;
  private final HttpSettings http;
  private final QueryParams params;

  public IdentityRoutes(ActorSystem<?> system, Identity identity, HttpSettings http) {
    this.system = system;
    this.identity = identity;
    this.http = http;
    this.params = new QueryParams(http);
  }

  /** The routes, for the request's verified {@code principal}. */
  public Route route(Principal principal) {
    Caller caller = principal.caller();
    return concat(
        path("me", () -> get(() -> JsonSupport.completeOk(me(principal)))),
        pathPrefix(
            "tokens",
            () ->
                concat(
                    pathEndOrSingleSlash(
                        () -> concat(post(() -> mint(principal)), get(() -> list(caller)))),
                    path(segment(), jti -> delete(() -> revoke(jti, caller))))),
        path(
            segment("subjects").slash(segment()).slash("tokens"),
            subject ->
                delete(
                    () ->
                        parameterOptional(
                            "workspace", workspace -> revokeSubject(subject, workspace, caller)))),
        pathPrefix(
            "devices",
            () ->
                pathEndOrSingleSlash(
                    () -> concat(post(() -> registerDevice(caller)), get(() -> devices(caller))))),
        pathPrefix(
            "keys",
            () ->
                concat(
                    pathEndOrSingleSlash(() -> get(() -> JsonSupport.completeOk(keys()))),
                    path(
                        "rotate",
                        () ->
                            post(
                                () ->
                                    JsonSupport.completeJson(
                                        StatusCodes.CREATED,
                                        KeyResponse.of(identity.tokens().keys().rotate())))),
                    path(segment().slash("retire"), kid -> post(() -> retire(kid))))));
  }

  private Me me(Principal principal) {
    return new Me(
        principal.subject(),
        principal.kind().wire(),
        principal.workspace(),
        principal.scopes().stream().map(Scope::wire).sorted().toList(),
        principal.jti(),
        principal.expiresAt(),
        identity.view().deviceName(principal));
  }

  // Tokens

  private Route mint(Principal minter) {
    return JsonSupport.withBody(
        MintRequest.class,
        request -> {
          TokenKind kind = request.checkedKind();
          Caller caller = minter.caller();
          if (caller.workspace().isPresent() && !WORKSPACE_MINTS.contains(kind)) {
            throw ApiException.forbidden(
                "a workspace's token mints device, participant and session tokens only");
          }
          Optional<String> workspace = workspaceOf(kind, request, caller);
          Set<Scope> scopes =
              request
                  .checkedScopes()
                  .<Set<Scope>>map(
                      list -> list.isEmpty() ? EnumSet.noneOf(Scope.class) : EnumSet.copyOf(list))
                  .orElse(kind.allowed());
          if (!kind.allowed().containsAll(scopes)) {
            throw ApiException.invalid(
                "a " + kind.wire() + " token may carry only " + Tokens.wire(kind.allowed()));
          }
          if (!minter.scopes().containsAll(scopes)) {
            throw Access.scopeDenied("a token may be given only scopes its minter has");
          }
          Duration ttl =
              request
                  .checkedTtl(identity.settings().maxTtl())
                  .orElse(identity.settings().defaultTtl().get(kind));
          CompletionStage<Tokens.Minted> minted =
              subjectOf(kind, request, workspace, caller)
                  .thenCompose(
                      subject ->
                          identity.issue(kind, subject, workspace, scopes, ttl, minter.subject()));
          return onSuccess(
              minted, m -> JsonSupport.completeJson(StatusCodes.CREATED, MintResponse.of(m)));
        });
  }

  private static Optional<String> workspaceOf(TokenKind kind, MintRequest request, Caller caller) {
    Optional<String> named = Fields.optionalName("workspace", request.workspace());
    if (!kind.bound()) {
      if (named.isPresent()) {
        throw ApiException.invalid("an operator token has no workspace");
      }
      return Optional.empty();
    }
    Optional<String> workspace = named.or(caller::workspace);
    if (workspace.isEmpty()) {
      throw ApiException.invalid("a " + kind.wire() + " token needs a workspace");
    }
    if (!caller.sees(workspace.get())) {
      throw ApiException.forbidden(
          "workspace " + workspace.get() + " is not the caller's workspace");
    }
    return workspace;
  }

  /** The subject of the token asked for, checked against what exists. */
  private CompletionStage<String> subjectOf(
      TokenKind kind, MintRequest request, Optional<String> workspace, Caller caller) {
    Optional<String> subject = Fields.optionalName("subject", request.subject());
    return switch (kind) {
      case OPERATOR, SESSION -> {
        String named = subject.orElseThrow(() -> ApiException.invalid("subject is required"));
        if (Devices.deviceOf(named).isPresent()) {
          throw ApiException.invalid(
              "a subject of the form <workspace>:phone:<device> is a device's: mint a device token");
        }
        yield CompletableFuture.completedFuture(named);
      }
      case WORKSPACE -> {
        if (subject.filter(s -> !s.equals(workspace.get())).isPresent()) {
          throw ApiException.invalid("a workspace token's subject is its workspace");
        }
        yield CompletableFuture.completedFuture(workspace.get());
      }
      case DEVICE -> {
        String device = IdentityApi.deviceId(request.deviceId());
        yield TokenRegistry.ref(system)
            .<List<TokenRegistry.Device>>askWithStatus(
                r -> new TokenRegistry.ListDevices(caller, workspace, r), http.askTimeout())
            .thenApply(
                devices ->
                    devices.stream()
                        .filter(d -> d.deviceId().equals(device))
                        .findFirst()
                        .map(TokenRegistry.Device::subject)
                        .orElseThrow(
                            () ->
                                ApiException.invalid(
                                    "device "
                                        + device
                                        + " is not registered in workspace "
                                        + workspace.get()
                                        + " (POST /api/v1/devices)")));
      }
      case PARTICIPANT -> {
        String participant =
            subject.orElseThrow(
                () -> ApiException.invalid("subject (the participant id) is required"));
        Caller inWorkspace = Caller.in(workspace.get(), caller.actor());
        yield ClusterSharding.get(system)
            .entityRefFor(Participant.ENTITY_TYPE_KEY, Fields.id("the participant", participant))
            .<View>askWithStatus(r -> new Participant.Get(inWorkspace, r), http.askTimeout())
            .thenApply(View::id);
      }
    };
  }

  private Route list(Caller caller) {
    return parameterMap(
        query -> {
          int limit = params.limit(Optional.ofNullable(query.get("limit")));
          Optional<String> after = Cursor.decode(Optional.ofNullable(query.get("cursor")));
          CompletionStage<TokenRegistry.Page> page =
              TokenRegistry.ref(system)
                  .askWithStatus(
                      r ->
                          new TokenRegistry.ListTokens(
                              caller,
                              Callers.listScope(caller, QueryParams.given(query, "workspace")),
                              QueryParams.given(query, "subject"),
                              after,
                              limit,
                              r),
                      http.askTimeout());
          return onSuccess(
              page,
              p ->
                  JsonSupport.completeOk(
                      new TokenList(p.tokens(), Cursor.encode(p.continueAfter()))));
        });
  }

  private Route revoke(String jti, Caller caller) {
    return onSuccess(
        TokenRegistry.ref(system)
            .<TokenRegistry.TokenRecord>askWithStatus(
                r -> new TokenRegistry.Revoke(Fields.id("the token", jti), caller, r),
                http.askTimeout()),
        JsonSupport::completeOk);
  }

  private Route revokeSubject(String subject, Optional<String> workspace, Caller caller) {
    return onSuccess(
        TokenRegistry.ref(system)
            .<TokenRegistry.SubjectRevocation>askWithStatus(
                r ->
                    new TokenRegistry.RevokeSubject(
                        Fields.name("subject", subject),
                        workspace.map(w -> Fields.name("workspace", w)),
                        caller,
                        r),
                http.askTimeout()),
        revoked ->
            JsonSupport.completeOk(
                new IdentityApi.SubjectRevoked(
                    revoked.subject(), revoked.workspace(), revoked.at(), revoked.tokens())));
  }

  // Devices

  private Route registerDevice(Caller caller) {
    return JsonSupport.withBody(
        DeviceRequest.class,
        request -> {
          String workspace =
              Fields.optionalName("workspace", request.workspace())
                  .or(caller::workspace)
                  .orElseThrow(() -> ApiException.invalid("workspace is required"));
          String deviceId = request.checkedDeviceId();
          String name = request.checkedName();
          return onSuccess(
              TokenRegistry.ref(system)
                  .<TokenRegistry.Device>askWithStatus(
                      r -> new TokenRegistry.RegisterDevice(workspace, deviceId, name, caller, r),
                      http.askTimeout()),
              device -> JsonSupport.completeJson(StatusCodes.CREATED, device));
        });
  }

  private Route devices(Caller caller) {
    return parameterOptional(
        "workspace",
        workspace ->
            onSuccess(
                TokenRegistry.ref(system)
                    .<List<TokenRegistry.Device>>askWithStatus(
                        r ->
                            new TokenRegistry.ListDevices(
                                caller, Callers.listScope(caller, workspace), r),
                        http.askTimeout()),
                devices -> JsonSupport.completeOk(new DeviceList(devices))));
  }

  // Keys

  private KeyList keys() {
    return new KeyList(identity.tokens().keys().keys().stream().map(KeyResponse::of).toList());
  }

  private Route retire(String kid) {
    try {
      return JsonSupport.completeOk(KeyResponse.of(identity.tokens().retire(kid)));
    } catch (KeyRing.UnknownKey e) {
      throw ApiException.notFound(e.getMessage());
    } catch (KeyRing.SigningKey e) {
      throw ApiException.conflict(e.getMessage());
    }
  }
}
