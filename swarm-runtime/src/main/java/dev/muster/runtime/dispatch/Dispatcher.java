package dev.muster.runtime.dispatch;

import dev.muster.config.CborSerializable;
import dev.muster.config.entity.Replying;
import dev.muster.registry.index.CapabilityIndex;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;

/**
 * The dispatcher of one workspace (sharded by workspace id, one in the cluster): it owns the
 * workspace's {@link Backlog} and carries out what it decides. Missions tell it their status after
 * every change ({@link Update}); it offers waiting missions to participants with room ({@link
 * Missions#offer}), gives up the ones nobody can take ({@link Missions#giveUp}), and hears from
 * this node's capability index when participants change.
 *
 * <p>It keeps nothing in the journal: the missions do, and their statuses are versioned by their
 * journal sequence numbers. A dispatcher that starts (first use, a node lost, a rebalance) waits
 * for this node's read side of the missions ({@link OpenWork}) to have caught up, takes the open
 * work of its workspace from it, and {@code muster.dispatch.settle} later (the read side's lag)
 * what the read side learned meanwhile, so that attempts started just before are counted; with open
 * work it offers nothing before then, without it offers at once (a mission that waits tells it so
 * itself). Every {@code reconcile-interval} it compares itself with the read side and takes in what
 * is newer there, so a lost status cannot leave a participant's room taken or a mission forgotten.
 * It passivates only when its backlog has been empty for {@code passivate-idle-after}; one that
 * fails starts again from the read side.
 */
public final class Dispatcher {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "Dispatcher");

  public sealed interface Command extends CborSerializable {}

  /** A mission's status: sent by the mission after every change (fire and forget). */
  public record Update(WorkStatus status) implements Command {}

  /** The backlog as people read it: a page of waiting missions after a place in its order. */
  public record GetBacklog(
      int limit, Optional<BacklogView.Place> after, ActorRef<StatusReply<BacklogView>> replyTo)
      implements Command, Replying<BacklogView> {}

  /** Starts the dispatcher if it is not running (the keeper sends it after a node is lost). */
  public enum Wake implements Command {
    INSTANCE
  }

  /** A mission answered an offer (or did not); local only. */
  record Offered(Backlog.Proposal proposal, WorkStatus answer, String failure) implements Command {}

  /** A mission answered a give-up (or did not); local only. */
  record GaveUp(Backlog.Verdict verdict, WorkStatus answer, String failure) implements Command {}

  /** The capability index folded changes of these participants; local only. */
  record ParticipantsChanged(Set<String> ids) implements Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  private enum CatchUp implements Command {
    INSTANCE
  }

  private enum Reconcile implements Command {
    INSTANCE
  }

  private enum Settle implements Command {
    INSTANCE
  }

  private enum IdleCheck implements Command {
    INSTANCE
  }

  private static final String TICK = "tick";
  private static final String IDLE = "idle";
  private static final String RECONCILE = "reconcile";

  /** Sends a mission's status to the dispatcher of its workspace. */
  public static void tell(ClusterSharding sharding, WorkStatus status) {
    sharding.entityRefFor(ENTITY_TYPE_KEY, status.workspace()).tell(new Update(status));
  }

  /** Starts sharding of dispatchers (entity id = workspace) on this node. */
  public static void init(
      ActorSystem<?> system,
      DispatchSettings settings,
      CapabilityIndex index,
      Missions missions,
      OpenWork openWork,
      Clock clock) {
    ClusterSharding.get(system)
        .init(
            Entity.of(
                    ENTITY_TYPE_KEY,
                    entity ->
                        create(
                            entity.getEntityId(),
                            settings,
                            index,
                            missions,
                            openWork,
                            clock,
                            Optional.of(entity.getShard())))
                .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy()));
  }

  /** {@code shard}: where to ask for passivation (none outside sharding: it never passivates). */
  public static Behavior<Command> create(
      String workspace,
      DispatchSettings settings,
      CapabilityIndex index,
      Missions missions,
      OpenWork openWork,
      Clock clock,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    // A dispatcher that fails starts again from the read side, like after a move.
    return Behaviors.supervise(
            Behaviors.<Command>setup(
                context ->
                    Behaviors.withTimers(
                        timers ->
                            new Dispatcher(
                                    workspace, settings, index, missions, openWork, clock, shard,
                                    context, timers)
                                .behavior())))
        .onFailure(
            SupervisorStrategy.restartWithBackoff(
                settings.retryInterval(), settings.reconcileInterval(), 0.2));
  }

  private final String workspace;
  private final DispatchSettings settings;
  private final CapabilityIndex index;
  private final Missions missions;
  private final OpenWork openWork;
  private final Clock clock;
  private final Optional<ActorRef<ClusterSharding.ShardCommand>> shard;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final Backlog backlog;
  private final CapabilityIndex.Subscription subscription;

  /** Offers are made once the open work taken at the start has settled. */
  private boolean settled = false;

  /** When the tick timer fires next, if it is set. */
  private Optional<Instant> tickAt = Optional.empty();

  private Dispatcher(
      String workspace,
      DispatchSettings settings,
      CapabilityIndex index,
      Missions missions,
      OpenWork openWork,
      Clock clock,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard,
      ActorContext<Command> context,
      TimerScheduler<Command> timers) {
    this.workspace = workspace;
    this.shard = shard;
    this.settings = settings;
    this.index = index;
    this.missions = missions;
    this.openWork = openWork;
    this.clock = clock;
    this.context = context;
    this.timers = timers;
    this.backlog = new Backlog(workspace, settings.rememberedIdle());
    ActorRef<Command> self = context.getSelf();
    this.subscription = index.subscribe(workspace, ids -> self.tell(new ParticipantsChanged(ids)));
    context.getSelf().tell(CatchUp.INSTANCE);
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Update.class, this::update)
        .onMessage(Offered.class, this::offered)
        .onMessage(GaveUp.class, this::gaveUp)
        .onMessage(ParticipantsChanged.class, this::participantsChanged)
        .onMessage(GetBacklog.class, this::getBacklog)
        .onMessageEquals(Wake.INSTANCE, this::act)
        .onMessageEquals(Tick.INSTANCE, this::tick)
        .onMessageEquals(CatchUp.INSTANCE, this::catchUp)
        .onMessageEquals(Reconcile.INSTANCE, this::reconcile)
        .onMessageEquals(Settle.INSTANCE, this::settle)
        .onMessageEquals(IdleCheck.INSTANCE, this::idleCheck)
        .onSignal(PostStop.class, stop -> stopped())
        .onSignal(PreRestart.class, restart -> stopped())
        .build();
  }

  private Behavior<Command> update(Update update) {
    backlog.apply(update.status(), clock.instant(), false);
    return act();
  }

  private Behavior<Command> offered(Offered offered) {
    if (offered.failure() != null) {
      context
          .getLog()
          .debug(
              "Offer of {} attempt {} to {} unanswered ({}); offering again in {}",
              offered.proposal().missionId(),
              offered.proposal().attempt(),
              offered.proposal().participantId(),
              offered.failure(),
              settings.retryInterval());
      return act();
    }
    backlog.answered(offered.proposal(), offered.answer(), clock.instant());
    return act();
  }

  private Behavior<Command> gaveUp(GaveUp gaveUp) {
    if (gaveUp.failure() != null) {
      context
          .getLog()
          .debug(
              "Giving up {} unanswered ({}); again in {}",
              gaveUp.verdict().missionId(),
              gaveUp.failure(),
              settings.retryInterval());
    } else {
      backlog.apply(gaveUp.answer(), clock.instant(), false);
    }
    return act();
  }

  private Behavior<Command> participantsChanged(ParticipantsChanged changed) {
    changed.ids().forEach(backlog::participantChanged);
    return act();
  }

  private Behavior<Command> getBacklog(GetBacklog get) {
    get.replyTo()
        .tell(StatusReply.success(backlog.view(roster(), Math.max(1, get.limit()), get.after())));
    return Behaviors.same();
  }

  /**
   * Waits for the read side, then takes the workspace's open work from it. What the read side
   * learns in its lag after that (an attempt taken just before this dispatcher started) is taken in
   * {@code settle} later; with open work, nothing is offered before then.
   */
  private Behavior<Command> catchUp() {
    if (!openWork.caughtUp() || !index.ready()) {
      timers.startSingleTimer(CatchUp.INSTANCE, settings.catchUpPoll());
      return Behaviors.same();
    }
    Instant now = clock.instant();
    List<WorkStatus> open = openWork.of(workspace);
    open.forEach(status -> backlog.apply(status, now, false));
    backlog.everyParticipantChanged(roster());
    settled = open.isEmpty();
    timers.startSingleTimer(Settle.INSTANCE, settings.settle());
    timers.startTimerWithFixedDelay(
        RECONCILE, Reconcile.INSTANCE, settings.reconcileInterval(), settings.reconcileInterval());
    context
        .getLog()
        .info(
            "Dispatcher of workspace {} started with {} open missions; offering {}",
            workspace,
            open.size(),
            settled ? "now" : "in " + settings.settle());
    return act();
  }

  private Behavior<Command> settle() {
    int newer = takeInNewer();
    if (newer > 0) {
      context
          .getLog()
          .info(
              "Dispatcher of workspace {}: {} mission statuses arrived in the read side's lag",
              workspace,
              newer);
    }
    settled = true;
    return act();
  }

  /** Takes in what the read side knows better (a status that got lost on its way here). */
  private Behavior<Command> reconcile() {
    int repaired = takeInNewer();
    if (repaired > 0) {
      context
          .getLog()
          .warn(
              "Dispatcher of workspace {}: {} mission statuses were newer in the journal than here;"
                  + " taken in",
              workspace,
              repaired);
    }
    return act();
  }

  /** The statuses the read side knows newer than the backlog, taken in; how many. */
  private int takeInNewer() {
    Instant now = clock.instant();
    int newer = 0;
    Set<String> reported = new HashSet<>();
    for (WorkStatus status : openWork.of(workspace)) {
      reported.add(status.missionId());
      if (backlog.apply(status, now, false)) {
        newer++;
      }
    }
    for (String missionId : backlog.known()) {
      if (!reported.contains(missionId)) {
        Optional<WorkStatus> status = openWork.status(missionId);
        if (status.isPresent() && backlog.apply(status.get(), now, false)) {
          newer++;
        }
      }
    }
    backlog.everyParticipantChanged(roster());
    return newer;
  }

  /** Offers, gives up and asks again whatever is due, then sleeps until the next thing is. */
  private Behavior<Command> act() {
    if (!settled) {
      return Behaviors.same();
    }
    Backlog.Roster roster = roster();
    backlog.dispatch(roster).forEach(this::offer);
    backlog.unanswered(roster.now(), settings.retryInterval()).forEach(this::offer);
    backlog.verdicts(roster, settings.retryInterval()).forEach(this::giveUp);
    Optional<Instant> next = backlog.nextDue(settings.retryInterval());
    if (!next.equals(tickAt)) {
      tickAt = next;
      if (next.isPresent()) {
        Duration in = Duration.between(clock.instant(), next.get());
        timers.startSingleTimer(TICK, Tick.INSTANCE, in.isNegative() ? Duration.ZERO : in);
      } else {
        timers.cancel(TICK);
      }
    }
    if (backlog.isEmpty()) {
      if (!timers.isTimerActive(IDLE)) {
        timers.startSingleTimer(IDLE, IdleCheck.INSTANCE, settings.passivateIdleAfter());
      }
    } else {
      timers.cancel(IDLE);
    }
    return Behaviors.same();
  }

  private Behavior<Command> tick() {
    tickAt = Optional.empty();
    return act();
  }

  /** An empty backlog for a while: nothing to keep in memory. */
  private Behavior<Command> idleCheck() {
    if (backlog.isEmpty()) {
      shard.ifPresent(s -> s.tell(new ClusterSharding.Passivate<>(context.getSelf())));
    }
    return Behaviors.same();
  }

  private void offer(Backlog.Proposal proposal) {
    context.pipeToSelf(
        missions.offer(
            workspace, proposal.missionId(), proposal.attempt(), proposal.participantId()),
        (answer, failure) ->
            new Offered(proposal, answer, failure == null ? null : failure.toString()));
  }

  private void giveUp(Backlog.Verdict verdict) {
    context
        .getLog()
        .info(
            "Giving up mission {} attempt {}: {}",
            verdict.missionId(),
            verdict.attempt(),
            verdict.why());
    context.pipeToSelf(
        missions.giveUp(workspace, verdict.missionId(), verdict.attempt(), verdict.why()),
        (answer, failure) ->
            new GaveUp(verdict, answer, failure == null ? null : failure.toString()));
  }

  private Backlog.Roster roster() {
    return new Backlog.Roster(workspace, index.snapshot(), clock.instant(), index.livenessWindow());
  }

  private Behavior<Command> stopped() {
    subscription.cancel();
    return Behaviors.same();
  }
}
