package dev.muster.api.missions;

import static org.apache.pekko.http.javadsl.server.PathMatchers.integerSegment;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import dev.muster.api.http.ApiException;
import dev.muster.api.http.Callers;
import dev.muster.api.http.Cursor;
import dev.muster.api.http.Fields;
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
import dev.muster.config.Caller;
import dev.muster.config.ids.IdGenerator;
import dev.muster.coordinator.directory.MissionDirectory;
import dev.muster.coordinator.directory.MissionHistory;
import dev.muster.coordinator.mission.CoordinatorSettings;
import dev.muster.coordinator.mission.Mission;
import dev.muster.coordinator.model.Escalation;
import dev.muster.coordinator.model.MissionSpec;
import dev.muster.coordinator.model.MissionState;
import dev.muster.coordinator.model.NamedParticipant;
import dev.muster.coordinator.model.Phase;
import dev.muster.registry.index.CapabilityIndex;
import dev.muster.registry.index.IndexedParticipant;
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
 * decline, hand off); the operator's (cancel, approve, resolve escalations). Each route turns the
 * request into one command to the mission, made on behalf of the request's {@link Caller}, and its
 * answer into JSON; the mission decides everything else (which includes answering 404 to a caller
 * of another workspace).
 */
public final class MissionRoutes extends AllDirectives {

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final HttpSettings settings;
  private final CoordinatorSettings coordinator;
  private final MissionDirectory directory;
  private final QueryParams params;
  private final IdGenerator ids;
  private final CapabilityIndex participants;

  public MissionRoutes(
      ActorSystem<?> system,
      HttpSettings settings,
      CoordinatorSettings coordinator,
      MissionDirectory directory,
      CapabilityIndex participants,
      IdGenerator ids) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.settings = settings;
    this.coordinator = coordinator;
    this.directory = directory;
    this.params = new QueryParams(settings);
    this.ids = ids;
    this.participants = participants;
  }

  /** {@code missions/...} and {@code escalations/...}, under {@code /api/v1}. */
  public Route route(Caller caller) {
    return concat(
        pathPrefix("missions", () -> missions(caller)),
        pathPrefix("escalations", () -> escalations(caller)));
  }

  private Route missions(Caller caller) {
    return concat(
        pathEndOrSingleSlash(() -> concat(post(() -> submit(caller)), get(() -> list(caller)))),
        path(
            segment(),
            id -> get(() -> respond(StatusCodes.OK, ask(id, r -> new Mission.Get(caller, r))))),
        path(segment().slash("history"), id -> get(() -> history(id, caller))),
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
                                    r ->
                                        new Mission.Cancel(
                                            Fields.text("reason", body.reason(), false),
                                            caller,
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
                                  r ->
                                      new Mission.Approve(
                                          body.granted(),
                                          Fields.text("note", body.note(), false),
                                          caller,
                                          r));
                            }))),
        pathPrefix(
            segment().slash("attempts").slash(integerSegment()),
            (id, n) -> attempt(id, n, caller)));
  }

  /** The worker's side of attempt {@code n}. */
  private Route attempt(String id, int n, Caller caller) {
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
                                    r ->
                                        new Mission.Heartbeat(
                                            n,
                                            b.checkedProgress(),
                                            Usage.cost(b.usage()),
                                            caller,
                                            r)))),
                path(
                    "complete",
                    () ->
                        JsonSupport.withBody(
                            CompleteRequest.class,
                            b ->
                                workerCommand(
                                    id,
                                    n,
                                    r ->
                                        new Mission.CompleteAttempt(
                                            n,
                                            b.resultOrNull(),
                                            Usage.cost(b.usage()),
                                            caller,
                                            r)))),
                path(
                    "fail",
                    () ->
                        JsonSupport.withBody(
                            FailRequest.class,
                            b ->
                                workerCommand(
                                    id,
                                    n,
                                    r ->
                                        new Mission.FailAttempt(
                                            n, b.toFailure(), Usage.cost(b.usage()), caller, r)))),
                path(
                    "decline",
                    () ->
                        JsonSupport.withBody(
                            DeclineRequest.class,
                            b ->
                                workerCommand(
                                    id,
                                    n,
                                    r ->
                                        new Mission.DeclineOffer(
                                            n,
                                            Fields.text("reason", b.reason(), false),
                                            caller,
                                            r)))),
                path(
                    "handoff",
                    () ->
                        JsonSupport.withBody(
                            HandoffRequest.class,
                            b ->
                                workerCommand(
                                    id,
                                    n,
                                    r ->
                                        new Mission.HandOff(
                                            n,
                                            b.role(),
                                            b.capabilities(),
                                            b.participant().map(this::named),
                                            Fields.text("note", b.note(), false),
                                            caller,
                                            r))))));
  }

  private Route submit(Caller caller) {
    return JsonSupport.withBody(
        SubmitRequest.class,
        request ->
            optionalHeaderValueByName(
                "Idempotency-Key",
                key -> {
                  MissionSpec spec = request.toSpec(coordinator);
                  // Before anything is looked up: an idempotency key must not tell a caller of
                  // another workspace whether this workspace used it (404 here, 403 there).
                  Callers.listScope(caller, Optional.of(spec.workspace()));
                  String id =
                      ids.forRequest(
                          key.map(k -> Fields.name("Idempotency-Key", k)),
                          "m",
                          "mission",
                          spec.workspace());
                  return respond(
                      StatusCodes.CREATED, ask(id, r -> new Mission.Submit(spec, caller, r)));
                }));
  }

  private Route list(Caller caller) {
    return parameterMap(
        query -> {
          requireDirectory();
          var filter =
              new MissionDirectory.Filter(
                  Callers.listScope(caller, QueryParams.given(query, "workspace")),
                  QueryParams.given(query, "state").map(MissionRoutes::phase),
                  QueryParams.given(query, "parent"),
                  QueryParams.given(query, "participant"),
                  QueryParams.given(query, "spec"));
          var page =
              directory.missions(
                  filter,
                  Cursor.decode(Optional.ofNullable(query.get("cursor"))),
                  params.limit(Optional.ofNullable(query.get("limit"))));
          return JsonSupport.completeOk(
              new MissionListResponse(
                  page.items().stream().map(MissionSummaryResponse::of).toList(),
                  Cursor.encode(page.continueAfter())));
        });
  }

  private Route history(String id, Caller caller) {
    CompletionStage<HistoryResponse> history =
        ask(id, r -> new Mission.Get(caller, r))
            .thenCompose(state -> MissionHistory.read(system, state.id()))
            .thenApply(entries -> HistoryResponse.of(id, entries));
    return onSuccess(history, JsonSupport::completeOk);
  }

  private Route escalations(Caller caller) {
    return concat(
        pathEndOrSingleSlash(
            () ->
                get(
                    () ->
                        parameterMap(
                            query -> {
                              requireDirectory();
                              var page =
                                  directory.escalations(
                                      Callers.listScope(
                                          caller, QueryParams.given(query, "workspace")),
                                      openness(QueryParams.given(query, "state")),
                                      Cursor.decode(Optional.ofNullable(query.get("cursor"))),
                                      params.limit(Optional.ofNullable(query.get("limit"))));
                              return JsonSupport.completeOk(
                                  new EscalationListResponse(
                                      page.items().stream()
                                          .map(EscalationSummaryResponse::of)
                                          .toList(),
                                      Cursor.encode(page.continueAfter())));
                            }))),
        path(
            segment().slash("resolve"),
            escalationId ->
                post(
                    () ->
                        JsonSupport.withBody(
                            ResolveRequest.class,
                            body -> {
                              Escalation.Action action = body.checkedAction();
                              Optional<NamedParticipant> participant =
                                  Fields.optionalName("participant_id", body.participantId())
                                      .map(this::named);
                              return command(
                                  missionOf(escalationId),
                                  r ->
                                      new Mission.ResolveEscalation(
                                          escalationId,
                                          action,
                                          participant,
                                          Fields.text("note", body.note(), false),
                                          caller,
                                          r));
                            }))));
  }

  /** Lists are read from the mission directory: a 503 while it is still loading the journal. */
  private void requireDirectory() {
    if (!directory.caughtUp()) {
      throw ApiException.loading("the mission directory");
    }
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

  /** An operator's command: answered with the whole mission. */
  private Route command(
      String id, Function<ActorRef<StatusReply<MissionState>>, Mission.Command> command) {
    return respond(StatusCodes.OK, ask(id, command));
  }

  /** A worker's call about attempt {@code n}: answered with the compact {@link WorkerAnswer}. */
  private Route workerCommand(
      String id, int n, Function<ActorRef<StatusReply<MissionState>>, Mission.Command> command) {
    return onSuccess(ask(id, command), state -> JsonSupport.completeOk(WorkerAnswer.of(state, n)));
  }

  private CompletionStage<MissionState> ask(
      String id, Function<ActorRef<StatusReply<MissionState>>, Mission.Command> command) {
    return sharding
        .entityRefFor(Mission.ENTITY_TYPE_KEY, Fields.id("the mission", id))
        .askWithStatus(command::apply, settings.askTimeout());
  }

  /** A participant a request names, with where this node's participant index has it. */
  private NamedParticipant named(String participantId) {
    return new NamedParticipant(
        participantId, participants.lookup(participantId).map(IndexedParticipant::workspace));
  }

  private Route respond(StatusCode status, CompletionStage<MissionState> reply) {
    return onSuccess(reply, state -> JsonSupport.completeJson(status, MissionResponse.of(state)));
  }

  // Query parameters

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
}
