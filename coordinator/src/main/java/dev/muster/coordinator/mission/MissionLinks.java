package dev.muster.coordinator.mission;

import dev.muster.registry.inbox.Inboxes;
import dev.muster.registry.inbox.ShardedInboxes;
import dev.muster.runtime.dispatch.Dispatcher;
import dev.muster.runtime.dispatch.WorkStatus;
import java.time.Duration;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * What a mission reaches outside itself: participants' inboxes (offers, stand-downs, recovery
 * requests), its budget, the missions of its tree, and its workspace's dispatcher. Interfaces, so a
 * mission can be tested alone; the node wires the sharded ones ({@link #sharded}).
 */
public record MissionLinks(
    Inboxes inboxes, MissionBudgets budgets, MissionPeers peers, Consumer<WorkStatus> dispatcher) {

  /**
   * The sharded entities of the cluster: inboxes asked within {@code offerTimeout}, budgets and the
   * missions of a tree within {@code peerTimeout}, dispatchers told.
   */
  public static MissionLinks sharded(
      ActorSystem<?> system, Duration offerTimeout, Duration peerTimeout) {
    ClusterSharding sharding = ClusterSharding.get(system);
    return new MissionLinks(
        new ShardedInboxes(system, offerTimeout),
        new ShardedMissionBudgets(system, peerTimeout),
        new ShardedMissionPeers(system, peerTimeout),
        status -> Dispatcher.tell(sharding, status));
  }
}
