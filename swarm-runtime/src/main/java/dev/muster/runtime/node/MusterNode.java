package dev.muster.runtime.node;

import com.typesafe.config.Config;
import dev.muster.config.NodeSettings;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the ActorSystem of a node as a cluster member with the Split Brain Resolver. Without seed
 * nodes the node joins itself and forms a cluster of one.
 */
public final class MusterNode {
  private static final Logger log = LoggerFactory.getLogger(MusterNode.class);

  private MusterNode() {}

  public static ActorSystem<Void> start(NodeSettings node, RuntimeSettings runtime, Config loaded) {
    ActorSystem<Void> system =
        ActorSystem.create(
            Behaviors.empty(), NodeConfig.SYSTEM_NAME, NodeConfig.render(node, runtime, loaded));
    Cluster cluster = Cluster.get(system);
    if (node.cluster().selfJoin()) {
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
    log.info(
        "Muster node {} on {} ({})",
        cluster.selfMember().address(),
        node.database().describe(),
        node.cluster().selfJoin() ? "single node" : "seed nodes " + node.cluster().seedNodes());
    return system;
  }
}
