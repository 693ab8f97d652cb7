package dev.muster.api.backlog;

import dev.muster.api.http.ApiException;
import dev.muster.api.http.Callers;
import dev.muster.api.http.Cursor;
import dev.muster.api.http.Fields;
import dev.muster.api.http.HttpSettings;
import dev.muster.api.http.JsonSupport;
import dev.muster.api.http.QueryParams;
import dev.muster.config.Caller;
import dev.muster.runtime.dispatch.BacklogView;
import dev.muster.runtime.dispatch.Dispatcher;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /api/v1/backlog?workspace=&cursor=&limit=}: what waits in a workspace's backlog — how
 * many missions wait (and how many of them are in a retry's backoff), each queue's depth and its
 * oldest waiting mission, the waiting missions in dispatch order with their position in their queue
 * (paged: pass {@code next_cursor} back as {@code cursor}), and the load of every participant that
 * holds work. Answered by the workspace's dispatcher, the one that decides.
 */
public final class BacklogRoutes extends AllDirectives {
  private final ClusterSharding sharding;
  private final HttpSettings settings;
  private final QueryParams params;

  public BacklogRoutes(ActorSystem<?> system, HttpSettings settings) {
    this.sharding = ClusterSharding.get(system);
    this.settings = settings;
    this.params = new QueryParams(settings);
  }

  /** The response: the view and, when there are more waiting missions, the next page's cursor. */
  record BacklogResponse(
      String workspace,
      int waiting,
      int inBackoff,
      int holding,
      List<BacklogView.Queue> queues,
      List<BacklogView.WaitingMission> missions,
      List<BacklogView.Load> participants,
      Optional<String> nextCursor) {}

  /** {@code backlog}, under {@code /api/v1}. */
  public Route route(Caller caller) {
    return path(
        "backlog",
        () ->
            get(
                () ->
                    parameterMap(
                        query -> {
                          String workspace =
                              Callers.listScope(
                                      caller,
                                      QueryParams.given(query, "workspace")
                                          .map(w -> Fields.name("workspace", w)))
                                  .orElseThrow(
                                      () ->
                                          ApiException.invalid(
                                              "query parameter 'workspace' is required"));
                          int limit = params.limit(Optional.ofNullable(query.get("limit")));
                          Optional<BacklogView.Place> after =
                              Cursor.decode(Optional.ofNullable(query.get("cursor")))
                                  .map(BacklogRoutes::place);
                          return onSuccess(
                              sharding
                                  .entityRefFor(Dispatcher.ENTITY_TYPE_KEY, workspace)
                                  .<BacklogView>askWithStatus(
                                      r -> new Dispatcher.GetBacklog(limit + 1, after, r),
                                      settings.askTimeout()),
                              view -> JsonSupport.completeOk(response(view, limit)));
                        })));
  }

  /** The page of {@code limit}; the view holds one more when there is a next page. */
  private static BacklogResponse response(BacklogView view, int limit) {
    List<BacklogView.WaitingMission> missions =
        view.missions().subList(0, Math.min(limit, view.missions().size()));
    Optional<String> next =
        view.missions().size() > limit
            ? Optional.of(Cursor.encode(key(missions.get(missions.size() - 1).place())))
            : Optional.empty();
    return new BacklogResponse(
        view.workspace(),
        view.waiting(),
        view.inBackoff(),
        view.holding(),
        view.queues(),
        missions,
        view.participants(),
        next);
  }

  /** A place in dispatch order as a cursor's key: {@code priority/submitted_at/mission_id}. */
  private static String key(BacklogView.Place place) {
    return place.priority() + "/" + place.submittedAt() + "/" + place.missionId();
  }

  private static BacklogView.Place place(String key) {
    String[] parts = key.split("/", 3);
    try {
      if (parts.length == 3 && !parts[2].isEmpty()) {
        return new BacklogView.Place(Integer.parseInt(parts[0]), Instant.parse(parts[1]), parts[2]);
      }
    } catch (NumberFormatException | DateTimeParseException e) {
      // answered below
    }
    throw ApiException.invalid("query parameter 'cursor' is not a cursor this API gave out");
  }
}
