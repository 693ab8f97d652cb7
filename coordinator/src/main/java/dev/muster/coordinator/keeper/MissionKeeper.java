package dev.muster.coordinator.keeper;

import com.typesafe.config.Config;
import dev.muster.config.Caller;
import dev.muster.config.Settings;
import dev.muster.coordinator.directory.MissionDirectory;
import dev.muster.coordinator.mission.Mission;
import dev.muster.coordinator.model.MissionState;
import dev.muster.runtime.dispatch.Dispatcher;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Wakes what must act by itself. Entities are not remembered by sharding, so a mission with an
 * attempt out whose node stopped (or that was passivated) comes back only when something sends it a
 * message; on recovery it re-arms its deadlines and re-places its offer. A workspace's dispatcher,
 * likewise, starts (and takes its workspace's backlog from the read side) at its first message. The
 * keeper, one per cluster, sends those messages: once the directory has caught up after start,
 * whenever a node leaves the cluster, and every {@code sweep-interval}. Missions that only wait are
 * not woken: their dispatcher keeps them.
 */
public final class MissionKeeper {
  private MissionKeeper() {}

  sealed interface Command {}

  private enum Sweep implements Command {
    INSTANCE
  }

  private record NodeLeft(ClusterEvent.MemberRemoved removed) implements Command {}

  private record Swept(int woken, Throwable failure) implements Command {}

  /** The keeper's settings ({@code muster.coordinator.keeper.*}). */
  public record KeeperSettings(
      Duration sweepInterval,
      Duration catchUpPoll,
      Duration afterNodeLeft,
      int parallelism,
      Duration askTimeout) {
    public static KeeperSettings from(Config config) {
      Config muster = config.getConfig("muster");
      return new KeeperSettings(
          Settings.positiveDuration(muster, "coordinator.keeper.sweep-interval"),
          Settings.positiveDuration(muster, "coordinator.keeper.catch-up-poll"),
          Settings.positiveDuration(muster, "coordinator.keeper.after-node-left"),
          Settings.positiveInt(muster, "coordinator.keeper.parallelism"),
          Settings.positiveDuration(muster, "coordinator.peer-timeout"));
    }
  }

  /** Runs the keeper as a cluster singleton (on the oldest node). */
  public static void init(
      ActorSystem<?> system, MissionDirectory directory, KeeperSettings settings) {
    ClusterSingleton.get(system)
        .init(
            SingletonActor.of(
                Behaviors.supervise(create(directory, settings))
                    .onFailure(SupervisorStrategy.restart()),
                "mission-keeper"));
  }

  static Behavior<Command> create(MissionDirectory directory, KeeperSettings settings) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> {
                  ActorSystem<?> system = context.getSystem();
                  Cluster.get(system)
                      .subscriptions()
                      .tell(
                          Subscribe.create(
                              context.messageAdapter(
                                  ClusterEvent.MemberRemoved.class, NodeLeft::new),
                              ClusterEvent.MemberRemoved.class));
                  timers.startTimerWithFixedDelay(
                      "sweep", Sweep.INSTANCE, Duration.ZERO, settings.sweepInterval());
                  ClusterSharding sharding = ClusterSharding.get(system);
                  return Behaviors.receive(Command.class)
                      .onMessage(
                          Sweep.class,
                          sweep -> {
                            if (!directory.caughtUp()) {
                              timers.startSingleTimer(
                                  "catch-up", Sweep.INSTANCE, settings.catchUpPoll());
                              return Behaviors.same();
                            }
                            directory
                                .workspacesWithOpenWork()
                                .forEach(
                                    workspace ->
                                        sharding
                                            .entityRefFor(Dispatcher.ENTITY_TYPE_KEY, workspace)
                                            .tell(Dispatcher.Wake.INSTANCE));
                            List<String> ids = directory.needingAttention();
                            context.pipeToSelf(
                                wake(sharding, ids, settings, system),
                                (done, failure) -> new Swept(ids.size(), failure));
                            return Behaviors.same();
                          })
                      .onMessage(
                          NodeLeft.class,
                          left -> {
                            context
                                .getLog()
                                .info(
                                    "{} left the cluster: waking unfinished missions in {}",
                                    left.removed().member().address(),
                                    settings.afterNodeLeft());
                            timers.startSingleTimer(
                                "node-left", Sweep.INSTANCE, settings.afterNodeLeft());
                            return Behaviors.same();
                          })
                      .onMessage(
                          Swept.class,
                          swept -> {
                            if (swept.failure() != null) {
                              context
                                  .getLog()
                                  .warn("Waking missions failed: {}", swept.failure().toString());
                            } else if (swept.woken() > 0) {
                              context.getLog().debug("Woke {} unfinished missions", swept.woken());
                            }
                            return Behaviors.same();
                          })
                      .build();
                }));
  }

  private static java.util.concurrent.CompletionStage<Done> wake(
      ClusterSharding sharding, List<String> ids, KeeperSettings settings, ActorSystem<?> system) {
    return Source.from(ids)
        .mapAsyncUnordered(
            settings.parallelism(),
            id ->
                sharding
                    .entityRefFor(Mission.ENTITY_TYPE_KEY, id)
                    .<StatusReply<MissionState>>ask(
                        replyTo -> new Mission.Get(Caller.SYSTEM, replyTo), settings.askTimeout())
                    .handle((reply, failure) -> Done.getInstance()))
        .runForeach(done -> {}, system);
  }
}
