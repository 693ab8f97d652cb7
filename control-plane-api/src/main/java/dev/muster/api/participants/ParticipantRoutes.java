package dev.muster.api.participants;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.muster.api.access.Scope;
import dev.muster.api.http.ApiException;
import dev.muster.api.http.Callers;
import dev.muster.api.http.Cursor;
import dev.muster.api.http.Fields;
import dev.muster.api.http.HttpSettings;
import dev.muster.api.http.JsonSupport;
import dev.muster.api.http.QueryParams;
import dev.muster.api.identity.Identity;
import dev.muster.api.identity.TokenKind;
import dev.muster.api.participants.ParticipantApi.AckResponse;
import dev.muster.api.participants.ParticipantApi.InboxResponse;
import dev.muster.api.participants.ParticipantApi.MessageResponse;
import dev.muster.api.participants.ParticipantApi.ParticipantList;
import dev.muster.api.participants.ParticipantApi.ParticipantResponse;
import dev.muster.api.participants.ParticipantApi.RegisterRequest;
import dev.muster.api.participants.ParticipantApi.StandDownRequest;
import dev.muster.api.participants.ParticipantApi.UpdateRequest;
import dev.muster.config.Caller;
import dev.muster.config.ids.IdGenerator;
import dev.muster.config.json.Json;
import dev.muster.registry.RegistrySettings;
import dev.muster.registry.inbox.Inbox;
import dev.muster.registry.index.CapabilityIndex;
import dev.muster.registry.index.IndexState;
import dev.muster.registry.participant.Participant;
import dev.muster.registry.participant.Registration;
import dev.muster.registry.participant.View;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
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
 * their work: long-poll or stream the inbox, ack a message. Registering answers the participant's
 * own credential (a participant token, shown once): with it a worker reaches its own inbox,
 * heartbeat and attempts, nothing else. Each route turns the request into one command (on behalf of
 * the request's {@link Caller}) and its answer into JSON. Lists come from this node's capability
 * index. The inbox routes first check, from the index when it knows the participant (no round
 * trip), that the caller may see the participant.
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
  private final Identity identity;

  public ParticipantRoutes(
      ActorSystem<?> system,
      HttpSettings settings,
      RegistrySettings registry,
      InboxStreamSettings stream,
      CapabilityIndex index,
      IdGenerator ids,
      Identity identity) {
    this.sharding = ClusterSharding.get(system);
    this.index = index;
    this.settings = settings;
    this.registry = registry;
    this.stream = stream;
    this.ids = ids;
    this.params = new QueryParams(settings);
    this.identity = identity;
  }

  /** {@code participants/...}, under {@code /api/v1}. */
  public Route route(Caller caller) {
    return pathPrefix(
        "participants",
        () ->
            concat(
                pathEndOrSingleSlash(
                    () -> concat(post(() -> register(caller)), get(() -> list(caller)))),
                path(
                    segment(),
                    id ->
                        concat(
                            get(() -> answer(id, r -> new Participant.Get(caller, r))),
                            patch(() -> update(id, caller)))),
                path(
                    segment().slash("heartbeat"),
                    id -> post(() -> answer(id, r -> new Participant.Heartbeat(caller, r)))),
                path(
                    segment().slash("drain"),
                    id -> post(() -> answer(id, r -> new Participant.Drain(caller, r)))),
                path(segment().slash("stand-down"), id -> post(() -> standDown(id, caller))),
                path(segment().slash("inbox"), id -> get(() -> poll(id, caller))),
                path(segment().slash("inbox").slash("stream"), id -> get(() -> stream(id, caller))),
                path(
                    segment().slash("inbox").slash(segment()).slash("ack"),
                    (id, messageId) -> post(() -> ack(id, messageId, caller)))));
  }

  private Route register(Caller caller) {
    return JsonSupport.withBody(
        RegisterRequest.class,
        request ->
            optionalHeaderValueByName(
                "Idempotency-Key",
                key -> {
                  Registration registration =
                      request.toRegistration(registry.defaultMaxConcurrentAttempts());
                  String id =
                      ids.forRequest(
                          key.map(k -> Fields.name("Idempotency-Key", k)),
                          "p",
                          "participant",
                          registration.workspace());
                  CompletionStage<ParticipantResponse> registered =
                      participant(id)
                          .<View>askWithStatus(
                              r -> new Participant.Register(registration, caller, r),
                              settings.askTimeout())
                          .thenCompose(
                              view ->
                                  identity
                                      .issue(
                                          TokenKind.PARTICIPANT,
                                          view.id(),
                                          Optional.of(view.workspace()),
                                          Set.of(Scope.WORK),
                                          identity
                                              .settings()
                                              .defaultTtl()
                                              .get(TokenKind.PARTICIPANT),
                                          caller.actor())
                                      .thenApply(
                                          minted ->
                                              ParticipantResponse.of(view).withCredential(minted)));
                  return onSuccess(
                      registered,
                      response -> JsonSupport.completeJson(StatusCodes.CREATED, response));
                }));
  }

  /**
   * A page of participants from the capability index (a read model of the journal, so a change
   * shows after the index has folded it), in id order; {@code cursor} continues after a page.
   */
  private Route list(Caller caller) {
    return parameterMap(
        query -> {
          int limit = params.limit(Optional.ofNullable(query.get("limit")));
          Optional<String> workspace =
              Callers.listScope(caller, QueryParams.given(query, "workspace"));
          Optional<String> after = Cursor.decode(Optional.ofNullable(query.get("cursor")));
          var status = ParticipantApi.parseStatus(Optional.ofNullable(query.get("status")));
          if (!index.ready()) {
            throw ApiException.loading("the participant index");
          }
          IndexState.Page page =
              index.list(
                  workspace,
                  QueryParams.given(query, "role"),
                  QueryParams.given(query, "capability"),
                  status,
                  after,
                  limit);
          List<ParticipantResponse> participants =
              page.participants().stream()
                  .map(
                      p ->
                          ParticipantResponse.of(
                              p.participant().viewAt(index.now(), index.livenessWindow())))
                  .toList();
          return JsonSupport.completeOk(
              new ParticipantList(participants, Cursor.encode(page.continueAfter()).orElse(null)));
        });
  }

  private Route update(String id, Caller caller) {
    return JsonSupport.withBody(
        UpdateRequest.class,
        request -> answer(id, r -> new Participant.Update(request.toChanges(), caller, r)));
  }

  private Route standDown(String id, Caller caller) {
    return JsonSupport.withBody(
        StandDownRequest.class,
        request -> answer(id, r -> new Participant.StandDown(request.checkedReason(), caller, r)));
  }

  /** Asks the participant and answers its view. */
  private Route answer(
      String id, Function<ActorRef<StatusReply<View>>, Participant.Command> command) {
    return onSuccess(
        participant(id).<View>askWithStatus(command::apply, settings.askTimeout()),
        view -> JsonSupport.completeOk(ParticipantResponse.of(view)));
  }

  /**
   * Whether the caller may reach the inbox of participant {@code id}: answered from this node's
   * capability index when it knows the participant, else by the participant itself.
   */
  private CompletionStage<?> visible(String id, Caller caller) {
    Optional<String> indexed = index.lookup(id).map(p -> p.workspace());
    if (indexed.isEmpty()) {
      return participant(id)
          .<View>askWithStatus(r -> new Participant.Get(caller, r), settings.askTimeout());
    }
    if (!caller.sees(indexed.get())) {
      return CompletableFuture.failedFuture(
          ApiException.notFound("participant " + id + " is not registered"));
    }
    return CompletableFuture.completedFuture(indexed.get());
  }

  private int batch(int max) {
    if (max > registry.inbox().maxBatch()) {
      throw ApiException.invalid(
          "max must be at most " + registry.inbox().maxBatch() + ", got " + max);
    }
    return max;
  }

  private Route poll(String id, Caller caller) {
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
                      visible(id, caller)
                          .thenCompose(
                              known ->
                                  inbox(id)
                                      .askWithStatus(
                                          replyTo -> new Inbox.Poll(max, wait, replyTo),
                                          wait.plus(settings.askTimeout())));
                  return onSuccess(
                      delivered, delivery -> JsonSupport.completeOk(InboxResponse.of(delivery)));
                }));
  }

  /**
   * The inbox as Server-Sent Events: each message one event, {@code id:} its seq and {@code data:}
   * the JSON a long poll shows; a heartbeat when quiet. A client resumes after the last event it
   * saw with {@code Last-Event-ID} (a cursor, {@link Inbox.PollAfter}); without it the stream
   * starts with every pending message. Messages are leased as they are sent and still need an ack.
   */
  private Route stream(String id, Caller caller) {
    return optionalHeaderValueByName(
        "Last-Event-ID",
        lastEventId -> {
          long after = lastEventId.map(ParticipantRoutes::parseSeq).orElse(0L);
          CompletionStage<Source<ServerSentEvent, NotUsed>> events =
              visible(id, caller).thenApply(known -> events(id, after));
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
                    .<Inbox.Delivery>askWithStatus(
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
   * Acks a message. The inbox answers an acked task offer once the mission has heard that its
   * worker took the attempt, so a 2xx means both facts are in the journal.
   */
  private Route ack(String id, String messageId, Caller caller) {
    CompletionStage<Inbox.Acked> acked =
        visible(id, caller)
            .thenCompose(
                known ->
                    inbox(id)
                        .<Inbox.Acked>askWithStatus(
                            replyTo -> new Inbox.Ack(messageId, replyTo), settings.askTimeout()));
    return onSuccess(
        acked, a -> JsonSupport.completeOk(new AckResponse(a.messageId(), true, a.duplicate())));
  }

  private EntityRef<Participant.Command> participant(String id) {
    return sharding.entityRefFor(Participant.ENTITY_TYPE_KEY, Fields.id("the participant", id));
  }

  private EntityRef<Inbox.Command> inbox(String id) {
    return sharding.entityRefFor(Inbox.ENTITY_TYPE_KEY, Fields.id("the participant", id));
  }
}
