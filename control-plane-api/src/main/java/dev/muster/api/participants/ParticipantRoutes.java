package dev.muster.api.participants;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.muster.api.http.ApiErrors;
import dev.muster.api.http.ApiException;
import dev.muster.api.http.CallerHeaders;
import dev.muster.api.http.HttpSettings;
import dev.muster.api.http.JsonSupport;
import dev.muster.api.http.QueryParams;
import dev.muster.api.participants.ParticipantApi.AckResponse;
import dev.muster.api.participants.ParticipantApi.InboxResponse;
import dev.muster.api.participants.ParticipantApi.MessageResponse;
import dev.muster.api.participants.ParticipantApi.ParticipantList;
import dev.muster.api.participants.ParticipantApi.ParticipantResponse;
import dev.muster.api.participants.ParticipantApi.RegisterRequest;
import dev.muster.api.participants.ParticipantApi.StandDownRequest;
import dev.muster.api.participants.ParticipantApi.UpdateRequest;
import dev.muster.config.Rejection;
import dev.muster.config.ids.IdGenerator;
import dev.muster.config.json.Json;
import dev.muster.coordinator.mission.Mission;
import dev.muster.coordinator.model.MissionState;
import dev.muster.registry.RegistrySettings;
import dev.muster.registry.inbox.Inbox;
import dev.muster.registry.index.CapabilityIndex;
import dev.muster.registry.index.IndexState;
import dev.muster.registry.participant.Participant;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Participants join, are looked up and listed, change, heartbeat, drain and stand down, and receive
 * their work: long-poll or stream the inbox, ack a message.
 *
 * <p>Two request headers, until tokens carry the same facts: {@code X-Muster-Workspace} confines a
 * request to one workspace (another workspace's participant is answered 404 exactly like an unknown
 * one), and {@code X-Muster-Actor} names who changes a participant (recorded in its events;
 * "operator" when absent).
 */
public final class ParticipantRoutes extends AllDirectives {
  private static final Logger log = LoggerFactory.getLogger(ParticipantRoutes.class);

  private static final Pattern SEQ = Pattern.compile("\\d{1,18}");

  private final ClusterSharding sharding;
  private final CapabilityIndex index;
  private final HttpSettings settings;
  private final RegistrySettings registry;
  private final InboxStreamSettings stream;
  private final IdGenerator ids;
  private final QueryParams params;

  public ParticipantRoutes(ActorSystem<?> system, HttpSettings settings, IdGenerator ids) {
    this.sharding = ClusterSharding.get(system);
    this.index = CapabilityIndex.get(system);
    this.settings = settings;
    this.registry = RegistrySettings.load(system);
    this.stream = InboxStreamSettings.from(system.settings().config(), registry);
    this.ids = ids;
    this.params = new QueryParams(settings);
  }

  public Route route() {
    return pathPrefix(
        "api",
        () ->
            pathPrefix(
                "v1",
                () ->
                    pathPrefix(
                        "participants",
                        () ->
                            optionalHeaderValueByName(
                                CallerHeaders.WORKSPACE,
                                workspace ->
                                    optionalHeaderValueByName(
                                        CallerHeaders.ACTOR,
                                        actor ->
                                            routes(
                                                workspace.filter(ws -> !ws.isBlank()),
                                                actor
                                                    .filter(a -> !a.isBlank())
                                                    .orElse(CallerHeaders.DEFAULT_ACTOR)))))));
  }

  private Route routes(Optional<String> workspace, String actor) {
    return concat(
        pathEndOrSingleSlash(
            () -> concat(post(() -> register(workspace)), get(() -> list(workspace)))),
        path(
            segment(),
            id ->
                concat(
                    get(() -> getParticipant(id, workspace)),
                    patch(() -> update(id, workspace, actor)))),
        path(segment().slash("heartbeat"), id -> post(() -> heartbeat(id, workspace))),
        path(segment().slash("drain"), id -> post(() -> drain(id, workspace, actor))),
        path(segment().slash("stand-down"), id -> post(() -> standDown(id, workspace, actor))),
        path(segment().slash("inbox"), id -> get(() -> poll(id, workspace))),
        path(segment().slash("inbox").slash("stream"), id -> get(() -> stream(id, workspace))),
        path(
            segment().slash("inbox").slash(segment()).slash("ack"),
            (id, messageId) -> post(() -> ack(id, messageId, workspace))));
  }

  private Route register(Optional<String> workspace) {
    return entity(
        JsonSupport.body(RegisterRequest.class),
        request ->
            optionalHeaderValueByName(
                "Idempotency-Key",
                key -> {
                  Participant.Registration registration =
                      request.toRegistration(registry.defaultMaxConcurrentAttempts());
                  if (workspace.isPresent() && !workspace.get().equals(registration.workspace())) {
                    throw new ApiException(
                        StatusCodes.FORBIDDEN,
                        ApiErrors.FORBIDDEN,
                        "workspace does not match the " + CallerHeaders.WORKSPACE + " header");
                  }
                  String id =
                      key.map(
                              k ->
                                  IdGenerator.forKey(
                                      "p", "participant", registration.workspace(), k))
                          .orElseGet(() -> ids.next("p"));
                  CompletionStage<Participant.View> registered =
                      participant(id)
                          .askWithStatus(
                              replyTo -> new Participant.Register(registration, replyTo),
                              settings.askTimeout());
                  return onSuccess(
                      registered, view -> JsonSupport.completeJson(StatusCodes.CREATED, of(view)));
                }));
  }

  /**
   * A page of participants from the capability index (a read model of the journal, so a change
   * shows after the index has folded it), in id order; {@code cursor} continues after a page.
   */
  private Route list(Optional<String> workspace) {
    return parameterMap(
        query -> {
          int limit = params.limit(Optional.ofNullable(query.get("limit")));
          Optional<String> asked = nonBlank(query, "workspace");
          Optional<String> after = nonBlank(query, "cursor").map(ParticipantRoutes::decodeCursor);
          Optional<Participant.Status> status =
              ParticipantApi.parseStatus(Optional.ofNullable(query.get("status")));
          if (!index.ready()) {
            throw new ApiException(
                StatusCodes.SERVICE_UNAVAILABLE,
                ApiErrors.UNAVAILABLE,
                "the participant index is still loading; retry shortly");
          }
          if (workspace.isPresent() && asked.isPresent() && !workspace.equals(asked)) {
            return JsonSupport.completeOk(new ParticipantList(List.of(), null));
          }
          IndexState.Page page =
              index.list(
                  workspace.or(() -> asked),
                  nonBlank(query, "role"),
                  nonBlank(query, "capability"),
                  status,
                  after,
                  limit);
          List<ParticipantResponse> participants =
              page.participants().stream()
                  .map(p -> of(p.participant().viewAt(index.now(), index.livenessWindow())))
                  .toList();
          return JsonSupport.completeOk(
              new ParticipantList(
                  participants, page.continueAfter().map(ParticipantRoutes::cursor).orElse(null)));
        });
  }

  private static Optional<String> nonBlank(Map<String, String> query, String name) {
    return Optional.ofNullable(query.get(name)).filter(value -> !value.isBlank());
  }

  private static String cursor(String lastId) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(lastId.getBytes(StandardCharsets.UTF_8));
  }

  private static String decodeCursor(String cursor) {
    try {
      String id = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      if (!id.isBlank()) {
        return id;
      }
    } catch (IllegalArgumentException e) {
      // answered below
    }
    throw ApiException.invalid("query parameter 'cursor' is not a cursor this API gave out");
  }

  private Route getParticipant(String id, Optional<String> workspace) {
    return onSuccess(visible(id, workspace), view -> JsonSupport.completeOk(of(view)));
  }

  private Route update(String id, Optional<String> workspace, String actor) {
    return entity(
        JsonSupport.body(UpdateRequest.class),
        request -> {
          Participant.Changes changes = request.toChanges();
          return answer(id, workspace, replyTo -> new Participant.Update(changes, actor, replyTo));
        });
  }

  private Route heartbeat(String id, Optional<String> workspace) {
    return answer(id, workspace, Participant.Heartbeat::new);
  }

  private Route drain(String id, Optional<String> workspace, String actor) {
    return answer(id, workspace, replyTo -> new Participant.Drain(actor, replyTo));
  }

  /**
   * Stands the participant down, then queues a {@code stand_down} message in its inbox (delivered
   * before any offer queued after it), so a worker learns it must stop. A retry after a failure
   * between the two is safe: the stand-down answers as before, the message id is the same.
   */
  private Route standDown(String id, Optional<String> workspace, String actor) {
    return entity(
        JsonSupport.body(StandDownRequest.class),
        request -> {
          String reason = request.checkedReason();
          CompletionStage<Participant.View> stood =
              visible(id, workspace)
                  .thenCompose(
                      known ->
                          participant(id)
                              .<Participant.View>askWithStatus(
                                  replyTo -> new Participant.StandDown(reason, actor, replyTo),
                                  settings.askTimeout()))
                  .thenCompose(view -> tellStandDown(id, view));
          return onSuccess(stood, view -> JsonSupport.completeOk(of(view)));
        });
  }

  private CompletionStage<Participant.View> tellStandDown(String id, Participant.View view) {
    var payload = JsonNodeFactory.instance.objectNode();
    payload.put("reason", view.standDownReason().orElse(""));
    Inbox.Draft draft =
        new Inbox.Draft("stand-down-" + id, Inbox.MessageType.STAND_DOWN, "", 0, payload);
    return inbox(id)
        .<Inbox.EnqueueResult>ask(
            replyTo -> new Inbox.Enqueue(draft, replyTo), settings.askTimeout())
        .thenApply(
            result -> {
              if (result instanceof Inbox.Refused refused) {
                throw ApiException.of(Rejection.parse(refused.reason()));
              }
              return view;
            });
  }

  /** Asks the participant (after the workspace check) and answers its view. */
  private Route answer(
      String id,
      Optional<String> workspace,
      Function<ActorRef<StatusReply<Participant.View>>, Participant.Command> command) {
    CompletionStage<Participant.View> answered =
        visible(id, workspace)
            .thenCompose(
                known ->
                    participant(id)
                        .<Participant.View>askWithStatus(command::apply, settings.askTimeout()));
    return onSuccess(answered, view -> JsonSupport.completeOk(of(view)));
  }

  /**
   * The participant's view; {@code not_found} when it is unknown or, for a request confined to a
   * workspace, belongs to another (the same answer, so a workspace learns nothing of others).
   */
  private CompletionStage<Participant.View> visible(String id, Optional<String> workspace) {
    return participant(id)
        .<Participant.View>askWithStatus(Participant.Get::new, settings.askTimeout())
        .thenApply(
            view -> {
              if (workspace.isPresent() && !workspace.get().equals(view.workspace())) {
                throw ApiException.notFound("participant " + id + " is not registered");
              }
              return view;
            });
  }

  /**
   * Whether the inbox's participant exists for this caller, for the inbox routes that run once or
   * more per mission: answered from this node's capability index when it already knows the
   * participant (no round trip to the entity), else by {@link #visible}.
   */
  private CompletionStage<?> registered(String id, Optional<String> workspace) {
    Optional<String> indexed = index.lookup(id).map(p -> p.workspace());
    if (indexed.isEmpty()) {
      return visible(id, workspace);
    }
    if (workspace.isPresent() && !workspace.get().equals(indexed.get())) {
      return CompletableFuture.failedFuture(
          ApiException.notFound("participant " + id + " is not registered"));
    }
    return CompletableFuture.completedFuture(indexed.get());
  }

  private ParticipantResponse of(Participant.View view) {
    return ParticipantResponse.of(view, index.inFlight(view.id()));
  }

  private int batch(int max) {
    if (max > registry.inbox().maxBatch()) {
      throw ApiException.invalid(
          "max must be at most " + registry.inbox().maxBatch() + ", got " + max);
    }
    return max;
  }

  private Route poll(String id, Optional<String> workspace) {
    return parameterOptional(
        "wait",
        waitText ->
            parameterOptional(
                "max",
                maxText -> {
                  Duration wait = params.waitDuration(waitText);
                  int max =
                      QueryParams.positiveInt("max", maxText)
                          .map(this::batch)
                          .orElse(registry.inbox().maxBatch());
                  CompletionStage<Inbox.Delivery> delivered =
                      registered(id, workspace)
                          .thenCompose(
                              known ->
                                  inbox(id)
                                      .ask(
                                          replyTo -> new Inbox.Poll(max, wait, replyTo),
                                          wait.plus(settings.askTimeout())));
                  return onSuccess(
                      delivered,
                      delivery ->
                          JsonSupport.completeJson(StatusCodes.OK, InboxResponse.of(delivery)));
                }));
  }

  /**
   * The inbox as Server-Sent Events: each message one event, {@code id:} its seq and {@code data:}
   * the JSON a long poll shows; a heartbeat when quiet. A client resumes after the last event it
   * saw with {@code Last-Event-ID} (a cursor, {@link Inbox.PollAfter}); without it the stream
   * starts with every pending message. Messages are leased as they are sent and still need an ack.
   */
  private Route stream(String id, Optional<String> workspace) {
    return optionalHeaderValueByName(
        "Last-Event-ID",
        lastEventId -> {
          long after = lastEventId.map(ParticipantRoutes::parseSeq).orElse(0L);
          CompletionStage<Source<ServerSentEvent, NotUsed>> events =
              registered(id, workspace).thenApply(known -> events(id, after));
          return onSuccess(
              events, source -> completeOK(source, EventStreamMarshalling.toEventStream()));
        });
  }

  private static long parseSeq(String text) {
    String trimmed = text.trim();
    if (trimmed.isEmpty()) {
      return 0L;
    }
    if (!SEQ.matcher(trimmed).matches()) {
      throw ApiException.invalid(
          "header 'Last-Event-ID' must be the id of an event of this stream, got '" + text + "'");
    }
    return Long.parseLong(trimmed);
  }

  /**
   * Reads the inbox from a cursor, one {@link Inbox.PollAfter} at a time. A read that fails (the
   * inbox moved or restarted and its parked read got no answer) ends the stream; the client resumes
   * with Last-Event-ID and loses nothing.
   */
  private Source<ServerSentEvent, NotUsed> events(String id, long after) {
    int max = registry.inbox().maxBatch();
    Duration wait = stream.pollWait();
    return Source.unfoldAsync(
            after,
            (Long cursor) ->
                inbox(id)
                    .<Inbox.Delivery>ask(
                        replyTo -> new Inbox.PollAfter(cursor, max, wait, replyTo),
                        wait.plus(settings.askTimeout()))
                    .handle((delivery, failure) -> next(id, cursor, delivery, failure)))
        .mapConcat(messages -> messages)
        .map(ParticipantRoutes::event)
        .keepAlive(stream.heartbeatInterval(), ServerSentEvent::heartbeat);
  }

  private static Optional<Pair<Long, List<Inbox.Message>>> next(
      String id, long cursor, Inbox.Delivery delivery, Throwable failure) {
    if (failure != null) {
      log.info("Inbox stream of {} ends after seq {}: {}", id, cursor, failure.toString());
      return Optional.empty();
    }
    List<Inbox.Message> messages = delivery.messages();
    long next = messages.isEmpty() ? cursor : messages.get(messages.size() - 1).seq();
    return Optional.of(Pair.create(next, messages));
  }

  private static ServerSentEvent event(Inbox.Message message) {
    try {
      String data = Json.mapper().writeValueAsString(MessageResponse.of(message));
      return ServerSentEvent.create(
          data, Optional.empty(), Optional.of(Long.toString(message.seq())), OptionalInt.empty());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot write inbox message " + message.messageId(), e);
    }
  }

  /**
   * Acks a message. An acked task offer means the worker has taken the attempt: the mission hears
   * of it before the ack is answered, so a 2xx means both facts are in the journal.
   */
  private Route ack(String id, String messageId, Optional<String> workspace) {
    CompletionStage<Inbox.Acked> acked =
        registered(id, workspace)
            .thenCompose(
                known ->
                    inbox(id)
                        .<Inbox.Acked>askWithStatus(
                            replyTo -> new Inbox.Ack(messageId, replyTo), settings.askTimeout()))
            .thenCompose(this::tellMission);
    return onSuccess(
        acked,
        a ->
            JsonSupport.completeJson(
                StatusCodes.OK, new AckResponse(a.messageId(), true, a.duplicate())));
  }

  private CompletionStage<Inbox.Acked> tellMission(Inbox.Acked acked) {
    if (acked.type() != Inbox.MessageType.TASK_OFFER) {
      return CompletableFuture.completedFuture(acked);
    }
    return sharding
        .entityRefFor(Mission.ENTITY_TYPE_KEY, acked.missionId())
        .askWithStatus(
            (ActorRef<StatusReply<MissionState>> replyTo) ->
                new Mission.AcceptOffer(acked.attempt(), replyTo),
            settings.askTimeout())
        .handle(
            (state, failure) -> {
              if (failure == null || rejected(failure)) {
                return acked; // a superseded attempt: the worker learns it when it reports
              }
              throw new CompletionException(failure);
            });
  }

  private static boolean rejected(Throwable failure) {
    Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
    return cause instanceof StatusReply.ErrorMessage;
  }

  private EntityRef<Participant.Command> participant(String id) {
    return sharding.entityRefFor(Participant.ENTITY_TYPE_KEY, id);
  }

  private EntityRef<Inbox.Command> inbox(String id) {
    return sharding.entityRefFor(Inbox.ENTITY_TYPE_KEY, id);
  }
}
