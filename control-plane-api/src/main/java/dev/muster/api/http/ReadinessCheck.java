package dev.muster.api.http;

import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * One thing {@code /health/ready} needs before the node takes traffic. A check answers {@link
 * CheckResult#down} rather than failing; {@link HealthRoutes} still bounds how long it may take.
 */
public interface ReadinessCheck {
  /** The key of this check in the {@code checks} object of the answer. */
  String name();

  CompletionStage<CheckResult> check();

  /** Up when this node's own cluster member is Up (not joining, leaving or removed). */
  static ReadinessCheck clusterMemberUp(ActorSystem<?> system) {
    return new ReadinessCheck() {
      @Override
      public String name() {
        return "cluster";
      }

      @Override
      public CompletionStage<CheckResult> check() {
        MemberStatus status = Cluster.get(system).selfMember().status();
        String word =
            status.toString().replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
        return CompletableFuture.completedFuture(
            status == MemberStatus.up()
                ? CheckResult.up("member is up")
                : CheckResult.down("member is " + word));
      }
    };
  }
}
