package dev.muster.runtime.dispatch;

import dev.muster.registry.inbox.Inbox;
import dev.muster.registry.index.CapabilityIndex;
import dev.muster.runtime.node.RuntimeSettings;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** Chooses through this node's {@link CapabilityIndex}; offers into the sharded Inbox entities. */
public final class ShardedDispatch implements Dispatch {
  private final ClusterSharding sharding;
  private final CapabilityIndex index;
  private final Duration offerTimeout;

  private ShardedDispatch(ClusterSharding sharding, CapabilityIndex index, Duration offerTimeout) {
    this.sharding = sharding;
    this.index = index;
    this.offerTimeout = offerTimeout;
  }

  public static ShardedDispatch create(ActorSystem<?> system, RuntimeSettings settings) {
    return new ShardedDispatch(
        ClusterSharding.get(system), CapabilityIndex.get(system), settings.offerTimeout());
  }

  @Override
  public Optional<String> select(Requirements requirements, Set<String> exclude) {
    return index.selectAndAssign(
        requirements.workspace(), requirements.capabilities(), requirements.roles(), exclude);
  }

  @Override
  public CompletionStage<Inbox.EnqueueResult> offer(String participantId, Inbox.Draft draft) {
    return sharding
        .entityRefFor(Inbox.ENTITY_TYPE_KEY, participantId)
        .ask(replyTo -> new Inbox.Enqueue(draft, replyTo), offerTimeout);
  }

  @Override
  public void released(String participantId) {
    index.released(participantId);
  }
}
