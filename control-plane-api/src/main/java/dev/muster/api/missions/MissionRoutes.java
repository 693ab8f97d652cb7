package dev.muster.api.missions;

import static org.apache.pekko.http.javadsl.server.PathMatchers.integerSegment;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import dev.muster.api.http.ApiException;
import dev.muster.api.http.CallerHeaders;
import dev.muster.api.http.HttpSettings;
import dev.muster.api.http.JsonSupport;
import dev.muster.api.http.QueryParams;
import dev.muster.api.missions.MissionApi.ApprovalRequest;
import dev.muster.api.missions.MissionApi.CancelRequest;
import dev.muster.api.missions.MissionApi.CompleteRequest;
import dev.muster.api.missions.MissionApi.DeclineRequest;
import dev.muster.api.missions.MissionApi.EscalationListResponse;
import dev.muster.api.missions.MissionApi.EscalationSummaryResponse;
import dev.muster.api.missions.MissionApi.FailRequest;
import dev.muster.api.missions.MissionApi.HandoffRequest;
import dev.muster.api.missions.MissionApi.HeartbeatRequest;
import dev.muster.api.missions.MissionApi.HistoryResponse;
import dev.muster.api.missions.MissionApi.MissionListResponse;
import dev.muster.api.missions.MissionApi.MissionResponse;
import dev.muster.api.missions.MissionApi.MissionSummaryResponse;
import dev.muster.api.missions.MissionApi.ResolveRequest;
import dev.muster.api.missions.MissionApi.SubmitRequest;
import dev.muster.api.missions.MissionApi.Usage;
import dev.muster.api.missions.MissionApi.WorkerAnswer;
import dev.muster.config.ids.IdGenerator;
import dev.muster.coordinator.directory.MissionDirectory;
import dev.muster.coordinator.directory.MissionHistory;
import dev.muster.coordinator.mission.CoordinatorSettings;
import dev.muster.coordinator.mission.Mission;
import dev.muster.coordinator.model.Escalation;
import dev.muster.coordinator.model.MissionSpec;
import dev.muster.coordinator.model.MissionState;
import dev.muster.coordinator.model.Phase;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.pattern.StatusReply;

/**
 * Missions: submit, read, list, replay; the worker's side of an attempt (heartbeat, complete, fail,
 * decline, hand off); the operator's (cancel, approve, resolve escalations).
 *
 * <p>Until tokens carry identity, the acting person is taken from {@code X-Muster-Actor} and a
 * caller may confine itself to a workspace with {@code X-Muster-Workspace}: a mission of another
 * workspace is then answered 404, exactly like one that does not exist.
 */
public final class MissionRoutes extends AllDirectives {

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final HttpSettings settings;
  private final CoordinatorSettings coordinator;
  private final QueryParams params;
  private final IdGenerator ids;

  public MissionRoutes(ActorSystem<?> system, HttpSettings settings, IdGenerator ids) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.settings = settings;
    this.coordinator = CoordinatorSettings.from(system.settings().config());
    this.params = new QueryParams(settings);
    this.ids = ids;
  }

  public Route route() {
    return pathPrefix(
        "api",
        () ->
            pathPrefix(
                "v1",
                () ->
                    optionalHeaderValueByName(
                        CallerHeaders.WORKSPACE,
                        workspace ->
                            optionalHeaderValueByName(
                                CallerHeaders.ACTOR,
                                actor ->
                                    concat(
                                        pathPrefix(
                                            "missions",
                                            () ->
                                                missions(
                                                    workspace,
                                                    actor.orElse(CallerHeaders.DEFAULT_ACTOR))),
                                        pathPrefix(
                                            "escalations",
                                            () ->
                                                escalations(
                                                    workspace,
                                                    actor.orElse(
                                                        CallerHeaders.DEFAULT_ACTOR))))))));
  }

  private Route missions(Optional<String> workspace, String actor) {
    return concat(
        pathEndOrSingleSlash(
            () -> concat(post(() -> submit(workspace)), get(() -> list(workspace)))),
        path(segment(), id -> get(() -> respond(StatusCodes.OK, visible(id, workspace)))),
        path(segment().slash("history"), id -> get(() -> history(id, workspace))),
        path(
            segment().slash("cancel"),
            id ->
                post(
                    () ->
                        JsonSupport.withBody(
                            CancelRequest.class,
                            body ->
                                command(
                                    id,
                                    workspace,
                                    r ->
                                        new Mission.Cancel(
                                            MissionApi.text("reason", body.reason(), false),
                                            actor,
                                            r))))),
        path(
            segment().slash("approval"),
            id ->
                post(
                    () ->
                        JsonSupport.withBody(
                            ApprovalRequest.class,
                            body -> {
                              if (body.granted() == null) {
                                throw ApiException.invalid("granted is required (true or false)");
                              }
                              return command(
                                  id,
                                  workspace,
                                  r ->
                                      new Mission.Approve(
                                          body.granted(),
                                          MissionApi.text("note", body.note(), false),
                                          actor,
                                          r));
                            }))),
        pathPrefix(
            segment().slash("attempts").slash(integerSegment()),
            (id, n) -> attempt(id, n, workspace)));
  }

  /** The worker's side of attempt {@code n}. */
  private Route attempt(String id, int n, Optional<String> workspace) {
    return post(
        () ->
            concat(
                path(
                    "heartbeat",
                    () ->
                        JsonSupport.withBody(
                            HeartbeatRequest.class,
                            b ->
                                workerCommand(
                                    id,
                                    n,
                                    workspace,
                                    r ->
                                        new Mission.Heartbeat(
                                            n, b.checkedProgress(), Usage.cost(b.usage()), r)))),
                path(
                    "complete",
                    () ->
                        JsonSupport.withBody(
                            CompleteRequest.class,
                            b ->
                                workerCommand(
                                    id,
                                    n,
                                    workspace,
                                    r ->
                                        new Mission.CompleteAttempt(
                                            n, b.resultOrNull(), Usage.cost(b.usage()), r)))),
                path(
                    "fail",
                    () ->
                        JsonSupport.withBody(
                            FailRequest.class,
                            b ->
                                workerCommand(
                                    id,
                                    n,
                                    workspace,
                                    r ->
                                        new Mission.FailAttempt(
                                            n, b.toFailure(), Usage.cost(b.usage()), r)))),
                path(
                    "decline",
                    () ->
                        JsonSupport.withBody(
                            DeclineRequest.class,
                            b ->
                                workerCommand(
                                    id,
                                    n,
                                    workspace,
                                    r ->
                                        new Mission.DeclineOffer(
                                            n, MissionApi.text("reason", b.reason(), false), r)))),
                path(
                    "handoff",
                    () ->
                        JsonSupport.withBody(
                            HandoffRequest.class,
                            b -> answerWorker(n, handOff(id, n, b, workspace))))));
  }

  private CompletionStage<MissionState> handOff(
      String id, int n, HandoffRequest body, Optional<String> workspace) {
    return visible(id, workspace)
        .thenCompose(
            current ->
                ask(
                    id,
                    r ->
                        new Mission.HandOff(
                            n,
                            body.toRequirements(current),
                            MissionApi.text("note", body.note(), false),
                            r)));
  }

  private Route submit(Optional<String> workspace) {
    return JsonSupport.withBody(
        SubmitRequest.class,
        request ->
            optionalHeaderValueByName(
                "Idempotency-Key",
                key -> {
                  MissionSpec spec = request.toSpec(coordinator);
                  if (workspace.filter(w -> !w.equals(spec.workspace())).isPresent()) {
                    throw ApiException.invalid(
                        "workspace " + spec.workspace() + " is not the caller's workspace");
                  }
                  String id =
                      key.map(k -> IdGenerator.forKey("m", "mission", spec.workspace(), k))
                          .orElseGet(() -> ids.next("m"));
                  return respond(StatusCodes.CREATED, ask(id, r -> new Mission.Submit(spec, r)));
                }));
  }

  private Route list(Optional<String> workspace) {
    return parameterOptional(
        "workspace",
        ws ->
            parameterOptional(
                "state",
                state ->
                    parameterOptional(
                        "parent",
                        parent ->
                            parameterOptional(
                                "participant",
                                participant ->
                                    parameterOptional(
                                        "spec",
                                        spec ->
                                            parameterOptional(
                                                "cursor",
                                                cursor ->
                                                    parameterOptional(
                                                        "limit",
                                                        limit -> {
                                                          var filter =
                                                              new MissionDirectory.Filter(
                                                                  scope(workspace, ws),
                                                                  state.map(MissionRoutes::phase),
                                                                  parent,
                                                                  participant,
                                                                  spec);
                                                          var page =
                                                              MissionDirectory.get(system)
                                                                  .missions(
                                                                      filter,
                                                                      cursor.map(
                                                                          MissionRoutes::cursor),
                                                                      params.limit(limit));
                                                          return JsonSupport.completeOk(
                                                              new MissionListResponse(
                                                                  page.items().stream()
                                                                      .map(
                                                                          MissionSummaryResponse
                                                                              ::of)
                                                                      .toList(),
                                                                  page.nextCursor()));
                                                        })))))));
  }

  private Route history(String id, Optional<String> workspace) {
    CompletionStage<HistoryResponse> history =
        visible(id, workspace)
            .thenCompose(state -> MissionHistory.read(system, id))
            .thenApply(entries -> HistoryResponse.of(id, entries));
    return onSuccess(history, JsonSupport::completeOk);
  }

  private Route escalations(Optional<String> workspace, String actor) {
    return concat(
        pathEndOrSingleSlash(
            () ->
                get(
                    () ->
                        parameterOptional(
                            "workspace",
                            ws ->
                                parameterOptional(
                                    "state",
                                    state ->
                                        parameterOptional(
                                            "cursor",
                                            cursor ->
                                                parameterOptional(
                                                    "limit",
                                                    limit -> {
                                                      var page =
                                                          MissionDirectory.get(system)
                                                              .escalations(
                                                                  scope(workspace, ws),
                                                                  openness(state),
                                                                  cursor.map(MissionRoutes::cursor),
                                                                  params.limit(limit));
                                                      return JsonSupport.completeOk(
                                                          new EscalationListResponse(
                                                              page.items().stream()
                                                                  .map(
                                                                      EscalationSummaryResponse::of)
                                                                  .toList(),
                                                              page.nextCursor()));
                                                    })))))),
        path(
            segment().slash("resolve"),
            escalationId ->
                post(
                    () ->
                        JsonSupport.withBody(
                            ResolveRequest.class,
                            body -> {
                              Escalation.Action action = body.checkedAction();
                              if (action == Escalation.Action.REASSIGN
                                  && (body.participantId() == null
                                      || body.participantId().isBlank())) {
                                throw ApiException.invalid("reassign needs participant_id");
                              }
                              return command(
                                  missionOf(escalationId),
                                  workspace,
                                  r ->
                                      new Mission.ResolveEscalation(
                                          escalationId,
                                          action,
                                          Optional.ofNullable(body.participantId()),
                                          MissionApi.text("note", body.note(), false),
                                          actor,
                                          r));
                            }))));
  }

  /** Escalation ids are {@code <mission id>.e<n>}. */
  private static String missionOf(String escalationId) {
    int at = escalationId.lastIndexOf(".e");
    if (at <= 0) {
      throw ApiException.notFound("escalation " + escalationId + " does not exist");
    }
    return escalationId.substring(0, at);
  }

  // Asking the mission

  /** Sends a command (an operator's): answered with the whole mission. */
  private Route command(
      String id,
      Optional<String> workspace,
      Function<ActorRef<StatusReply<MissionState>>, Mission.Command> command) {
    return respond(StatusCodes.OK, askVisible(id, workspace, command));
  }

  /** A worker's call about attempt {@code n}: answered with the compact {@link WorkerAnswer}. */
  private Route workerCommand(
      String id,
      int n,
      Optional<String> workspace,
      Function<ActorRef<StatusReply<MissionState>>, Mission.Command> command) {
    return answerWorker(n, askVisible(id, workspace, command));
  }

  /** Sends a command, first checking the caller may see the mission when it named a workspace. */
  private CompletionStage<MissionState> askVisible(
      String id,
      Optional<String> workspace,
      Function<ActorRef<StatusReply<MissionState>>, Mission.Command> command) {
    return workspace.isEmpty()
        ? ask(id, command)
        : visible(id, workspace).thenCompose(state -> ask(id, command));
  }

  private Route answerWorker(int n, CompletionStage<MissionState> reply) {
    return onSuccess(reply, state -> JsonSupport.completeOk(WorkerAnswer.of(state, n)));
  }

  private CompletionStage<MissionState> visible(String id, Optional<String> workspace) {
    return ask(id, Mission.Get::new)
        .thenApply(
            state -> {
              if (workspace.filter(w -> !w.equals(state.spec().workspace())).isPresent()) {
                throw ApiException.notFound("mission " + id + " does not exist");
              }
              return state;
            });
  }

  private CompletionStage<MissionState> ask(
      String id, Function<ActorRef<StatusReply<MissionState>>, Mission.Command> command) {
    return sharding
        .entityRefFor(Mission.ENTITY_TYPE_KEY, id)
        .askWithStatus(command::apply, settings.askTimeout());
  }

  private Route respond(StatusCode status, CompletionStage<MissionState> reply) {
    return onSuccess(reply, state -> JsonSupport.completeJson(status, MissionResponse.of(state)));
  }

  // Query parameters

  /** The caller's own workspace wins; naming another one is refused. */
  private static Optional<String> scope(Optional<String> caller, Optional<String> asked) {
    if (caller.isPresent() && asked.filter(a -> !a.equals(caller.get())).isPresent()) {
      throw ApiException.invalid("workspace " + asked.get() + " is not the caller's workspace");
    }
    return caller.or(() -> asked);
  }

  private static Phase phase(String text) {
    try {
      return Phase.ofWire(text);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(e.getMessage());
    }
  }

  private static Optional<Boolean> openness(Optional<String> state) {
    return switch (state.orElse("open")) {
      case "open" -> Optional.of(true);
      case "resolved" -> Optional.of(false);
      case "all" -> Optional.empty();
      default -> throw ApiException.invalid("state must be open, resolved or all");
    };
  }

  private static String cursor(String text) {
    try {
      return MissionDirectory.decode(text);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid("cursor is not one this API gave out");
    }
  }
}
