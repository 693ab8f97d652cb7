package dev.muster.api.missions;

import static org.apache.pekko.http.javadsl.server.PathMatchers.integerSegment;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import dev.muster.api.http.HttpSettings;
import dev.muster.api.http.JsonSupport;
import dev.muster.api.missions.MissionApi.CompleteRequest;
import dev.muster.api.missions.MissionApi.MissionResponse;
import dev.muster.api.missions.MissionApi.SubmitRequest;
import dev.muster.config.ids.IdGenerator;
import dev.muster.coordinator.mission.Mission;
import dev.muster.coordinator.model.MissionSpec;
import dev.muster.coordinator.model.MissionState;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/** Missions: submit, read, and the worker's side of an attempt (complete). */
public final class MissionRoutes extends AllDirectives {
  private final ClusterSharding sharding;
  private final HttpSettings settings;
  private final IdGenerator ids;

  public MissionRoutes(ActorSystem<?> system, HttpSettings settings, IdGenerator ids) {
    this.sharding = ClusterSharding.get(system);
    this.settings = settings;
    this.ids = ids;
  }

  public Route route() {
    return pathPrefix(
        "api",
        () ->
            pathPrefix(
                "v1",
                () ->
                    pathPrefix(
                        "missions",
                        () ->
                            concat(
                                pathEndOrSingleSlash(() -> post(this::submit)),
                                path(segment(), id -> get(() -> getMission(id))),
                                path(
                                    segment()
                                        .slash("attempts")
                                        .slash(integerSegment())
                                        .slash("complete"),
                                    (id, attempt) -> post(() -> complete(id, attempt)))))));
  }

  private Route submit() {
    return entity(
        JsonSupport.body(SubmitRequest.class),
        request ->
            optionalHeaderValueByName(
                "Idempotency-Key",
                key -> {
                  MissionSpec spec = request.toSpec();
                  String id =
                      key.map(k -> idFor(spec.workspace(), k)).orElseGet(() -> ids.next("m"));
                  return respond(
                      StatusCodes.CREATED,
                      mission(id)
                          .askWithStatus(
                              replyTo -> new Mission.Submit(spec, replyTo), settings.askTimeout()));
                }));
  }

  /** The same Idempotency-Key in the same workspace always names the same mission. */
  private static String idFor(String workspace, String key) {
    return "m-"
        + UUID.nameUUIDFromBytes(
            ("mission\n" + workspace + "\n" + key).getBytes(StandardCharsets.UTF_8));
  }

  private Route getMission(String id) {
    return respond(
        StatusCodes.OK, mission(id).askWithStatus(Mission.Get::new, settings.askTimeout()));
  }

  private Route complete(String id, int attempt) {
    return entity(
        JsonSupport.body(CompleteRequest.class),
        request ->
            respond(
                StatusCodes.OK,
                mission(id)
                    .askWithStatus(
                        replyTo ->
                            new Mission.CompleteAttempt(attempt, request.resultOrNull(), replyTo),
                        settings.askTimeout())));
  }

  private Route respond(StatusCode status, CompletionStage<MissionState> reply) {
    return onSuccess(reply, state -> JsonSupport.completeJson(status, MissionResponse.of(state)));
  }

  private EntityRef<Mission.Command> mission(String id) {
    return sharding.entityRefFor(Mission.ENTITY_TYPE_KEY, id);
  }
}
