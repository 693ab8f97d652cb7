package dev.muster.registry.inbox;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** The sharded Inbox entities, wherever they live in the cluster. */
public final class ShardedInboxes implements Inboxes {
  private final ClusterSharding sharding;
  private final Duration timeout;

  public ShardedInboxes(ActorSystem<?> system, Duration timeout) {
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
  }

  @Override
  public CompletionStage<Inbox.EnqueueResult> place(String participantId, Inbox.Draft draft) {
    return sharding
        .entityRefFor(Inbox.ENTITY_TYPE_KEY, participantId)
        .askWithStatus(replyTo -> new Inbox.Enqueue(draft, replyTo), timeout);
  }
}
