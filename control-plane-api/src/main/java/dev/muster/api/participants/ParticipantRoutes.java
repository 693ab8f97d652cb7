package dev.muster.api.participants;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import dev.muster.api.http.ApiException;
import dev.muster.api.http.HttpSettings;
import dev.muster.api.http.JsonSupport;
import dev.muster.api.http.QueryParams;
import dev.muster.api.participants.ParticipantApi.AckResponse;
import dev.muster.api.participants.ParticipantApi.InboxResponse;
import dev.muster.api.participants.ParticipantApi.ParticipantResponse;
import dev.muster.api.participants.ParticipantApi.RegisterRequest;
import dev.muster.config.ids.IdGenerator;
import dev.muster.coordinator.mission.Mission;
import dev.muster.coordinator.model.MissionState;
import dev.muster.registry.RegistrySettings;
import dev.muster.registry.inbox.Inbox;
import dev.muster.registry.participant.Participant;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.pattern.StatusReply;

/**
 * Participants join, look themselves up, and receive their work: register, get, long-poll the
 * inbox, ack a message.
 */
public final class ParticipantRoutes extends AllDirectives {
  private final ClusterSharding sharding;
  private final HttpSettings settings;
  private final RegistrySettings registry;
  private final IdGenerator ids;
  private final QueryParams params;

  public ParticipantRoutes(ActorSystem<?> system, HttpSettings settings, IdGenerator ids) {
    this.sharding = ClusterSharding.get(system);
    this.settings = settings;
    this.registry = RegistrySettings.load(system);
    this.ids = ids;
    this.params = new QueryParams(settings);
  }

  private int batch(int max) {
    if (max > registry.inbox().maxBatch()) {
      throw ApiException.invalid(
          "max must be at most " + registry.inbox().maxBatch() + ", got " + max);
    }
    return max;
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
                            concat(
                                pathEndOrSingleSlash(() -> post(this::register)),
                                path(segment(), id -> get(() -> getParticipant(id))),
                                path(segment().slash("inbox"), id -> get(() -> poll(id))),
                                path(
                                    segment().slash("inbox").slash(segment()).slash("ack"),
                                    (id, messageId) -> post(() -> ack(id, messageId)))))));
  }

  private Route register() {
    return entity(
        JsonSupport.body(RegisterRequest.class),
        request ->
            optionalHeaderValueByName(
                "Idempotency-Key",
                key -> {
                  Participant.Registration registration =
                      request.toRegistration(registry.defaultMaxConcurrentAttempts());
                  String id =
                      key.map(k -> idFor(registration.workspace(), k))
                          .orElseGet(() -> ids.next("p"));
                  CompletionStage<Participant.View> registered =
                      participant(id)
                          .askWithStatus(
                              replyTo -> new Participant.Register(registration, replyTo),
                              settings.askTimeout());
                  return onSuccess(
                      registered,
                      view ->
                          JsonSupport.completeJson(
                              StatusCodes.CREATED, ParticipantResponse.of(view)));
                }));
  }

  /** The same Idempotency-Key in the same workspace always names the same participant. */
  private static String idFor(String workspace, String key) {
    return "p-"
        + UUID.nameUUIDFromBytes(
            ("participant\n" + workspace + "\n" + key).getBytes(StandardCharsets.UTF_8));
  }

  private Route getParticipant(String id) {
    return onSuccess(
        view(id), view -> JsonSupport.completeJson(StatusCodes.OK, ParticipantResponse.of(view)));
  }

  private CompletionStage<Participant.View> view(String id) {
    return participant(id).askWithStatus(Participant.Get::new, settings.askTimeout());
  }

  private Route poll(String id) {
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
                      view(id)
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
   * Acks a message. An acked task offer means the worker has taken the attempt: the mission hears
   * of it before the ack is answered, so a 2xx means both facts are in the journal.
   */
  private Route ack(String id, String messageId) {
    CompletionStage<Inbox.Acked> acked =
        view(id)
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
