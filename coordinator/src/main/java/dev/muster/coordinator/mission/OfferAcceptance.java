package dev.muster.coordinator.mission;

import dev.muster.config.Caller;
import dev.muster.config.Rejection;
import dev.muster.coordinator.model.MissionState;
import dev.muster.registry.inbox.AckListener;
import dev.muster.registry.inbox.Inbox;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;

/**
 * The rule "a worker's ack of a task offer means it has taken the attempt": the inbox calls this
 * before it answers the ack, and the mission records the attempt as running. An attempt that is no
 * longer the worker's (stood down, superseded) refuses; the ack still stands, and the worker learns
 * it must stand down from its next report.
 */
public final class OfferAcceptance implements AckListener {
  private final ClusterSharding sharding;
  private final Duration timeout;

  public OfferAcceptance(ClusterSharding sharding, Duration timeout) {
    this.sharding = sharding;
    this.timeout = timeout;
  }

  @Override
  public CompletionStage<Done> offerTaken(String participantId, Inbox.Acked acked) {
    return sharding
        .entityRefFor(Mission.ENTITY_TYPE_KEY, acked.missionId())
        .askWithStatus(
            (ActorRef<StatusReply<MissionState>> replyTo) ->
                new Mission.AcceptOffer(acked.attempt(), Caller.SYSTEM, replyTo),
            timeout)
        .handle(
            (state, failure) -> {
              if (failure == null || Rejection.of(failure).isPresent()) {
                return Done.getInstance();
              }
              throw new CompletionException(failure);
            });
  }
}
