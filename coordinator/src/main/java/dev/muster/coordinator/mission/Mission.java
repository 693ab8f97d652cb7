package dev.muster.coordinator.mission;

import com.fasterxml.jackson.databind.JsonNode;
import dev.muster.config.Caller;
import dev.muster.config.CborSerializable;
import dev.muster.config.Rejection;
import dev.muster.config.entity.Guarded;
import dev.muster.config.entity.Replying;
import dev.muster.config.money.Amount;
import dev.muster.coordinator.model.Attempt;
import dev.muster.coordinator.model.Decision;
import dev.muster.coordinator.model.Escalation;
import dev.muster.coordinator.model.MissionSpec;
import dev.muster.coordinator.model.MissionState;
import dev.muster.coordinator.model.NamedParticipant;
import dev.muster.coordinator.model.Phase;
import dev.muster.coordinator.policy.Deadlines;
import dev.muster.coordinator.policy.DecisionPolicy;
import dev.muster.coordinator.policy.Signal;
import dev.muster.registry.inbox.Inbox;
import dev.muster.runtime.dispatch.Requirements;
import dev.muster.runtime.dispatch.WorkStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One mission, event-sourced and sharded by mission id. Every signal (a worker's report, an offer
 * or give-up from the backlog, a deadline, a child's outcome, an operator's answer) takes the same
 * path: record the fact, ask the {@link DecisionPolicy}, persist the fact with each decision and
 * its reason, and only then act through {@link MissionActions} (place the offer, tell workers to
 * stand down, call the mission's tree, tell the dispatcher where the mission stands, arm the next
 * deadline). Acting is idempotent, so after a restart the mission acts again on its recovered
 * state; deadlines are derived from the state ({@link Deadlines}).
 *
 * <p>A mission that needs a participant waits in its workspace's backlog and costs nothing while it
 * waits: no timer, not even in memory (it may be passivated). The dispatcher offers it to a
 * participant with room ({@link Offer}) or gives it up ({@link GiveUp}); both are answered with the
 * mission's {@link WorkStatus}.
 *
 * <p>Every request carries its {@link Caller}: a caller confined to another workspace is answered
 * {@code not_found}, exactly as for a mission that does not exist. A failing command is answered
 * {@code internal_error} and changes nothing ({@link Guarded}); only a failed journal write
 * restarts the entity.
 */
public final class Mission
    extends EventSourcedBehaviorWithEnforcedReplies<Mission.Command, Mission.Event, Mission.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "Mission");

  /** Every mission event carries this tag, for the read side. */
  public static final String TAG = "mission";

  // Commands

  public sealed interface Command extends CborSerializable {}

  /** A request from outside on behalf of {@code caller}, answered with the mission's state. */
  public sealed interface Request extends Command, Replying<MissionState> {
    Caller caller();
  }

  public record Submit(MissionSpec spec, Caller caller, ActorRef<StatusReply<MissionState>> replyTo)
      implements Request {}

  public record Get(Caller caller, ActorRef<StatusReply<MissionState>> replyTo)
      implements Request {}

  /** The worker acknowledged the offer of {@code attempt}: it is running. */
  public record AcceptOffer(int attempt, Caller caller, ActorRef<StatusReply<MissionState>> replyTo)
      implements Request {}

  public record DeclineOffer(
      int attempt, String reason, Caller caller, ActorRef<StatusReply<MissionState>> replyTo)
      implements Request {}

  public record Heartbeat(
      int attempt,
      Optional<Double> progress,
      Optional<Amount> cost,
      Caller caller,
      ActorRef<StatusReply<MissionState>> replyTo)
      implements Request {}

  public record CompleteAttempt(
      int attempt,
      JsonNode result,
      Optional<Amount> cost,
      Caller caller,
      ActorRef<StatusReply<MissionState>> replyTo)
      implements Request {}

  public record FailAttempt(
      int attempt,
      Attempt.Failure failure,
      Optional<Amount> cost,
      Caller caller,
      ActorRef<StatusReply<MissionState>> replyTo)
      implements Request {}

  /**
   * The worker hands its attempt on: to a role, capabilities or a named participant; what it does
   * not name stays as the mission requires now.
   */
  public record HandOff(
      int attempt,
      Optional<String> role,
      Optional<Set<String>> capabilities,
      Optional<NamedParticipant> participant,
      String note,
      Caller caller,
      ActorRef<StatusReply<MissionState>> replyTo)
      implements Request {}

  public record Approve(
      boolean granted, String note, Caller caller, ActorRef<StatusReply<MissionState>> replyTo)
      implements Request {}

  public record Cancel(String reason, Caller caller, ActorRef<StatusReply<MissionState>> replyTo)
      implements Request {}

  public record ResolveEscalation(
      String escalationId,
      Escalation.Action action,
      Optional<NamedParticipant> participant,
      String note,
      Caller caller,
      ActorRef<StatusReply<MissionState>> replyTo)
      implements Request {}

  /** A child of this mission reached {@code outcome}. */
  public record ReportChild(
      String childId, Phase outcome, ActorRef<StatusReply<MissionState>> replyTo)
      implements Command, Replying<MissionState> {}

  /** The backlog offers attempt {@code attempt} to {@code participantId}; answers the status. */
  public record Offer(
      String workspace,
      int attempt,
      String participantId,
      ActorRef<StatusReply<WorkStatus>> replyTo)
      implements Command, Replying<WorkStatus> {}

  /** The backlog gives the waiting mission up, and why; answers the status. */
  public record GiveUp(
      String workspace, int attempt, String why, ActorRef<StatusReply<WorkStatus>> replyTo)
      implements Command, Replying<WorkStatus> {}

  /** The inbox answered the placing of an offer. Sent by the mission to itself. */
  record OfferPlaced(int attempt, String participantId, Inbox.EnqueueResult result)
      implements Command {}

  /** Placing an offer got no answer in time. Sent by the mission to itself. */
  record OfferUnanswered(int attempt, String participantId, String problem) implements Command {}

  /** The budget refused the reservation the offer of {@code attempt} needs. */
  record ReservationDenied(int attempt, String participantId, String reason) implements Command {}

  /** Committing what {@code attempt} used did not get an answer; try again later. */
  record BudgetUnsettled(int attempt, String problem) implements Command {}

  /** Time to commit the usage of ended attempts again. */
  enum SettleAgain implements Command {
    INSTANCE
  }

  /** Time to place the offer of {@code attempt} once more. */
  record PlaceOfferAgain(int attempt) implements Command {}

  /** Placing the recovery request of a resolved escalation got no answer; try again later. */
  record RecoveryUnplaced(String escalationId, String problem) implements Command {}

  /** Time to place the recovery request of {@code escalationId} once more. */
  record RequestRecoveryAgain(String escalationId) implements Command {}

  /** A child answered (its state after being submitted): it may have finished already. */
  record ChildSeen(String childId, Phase phase) implements Command {}

  /** A parent or child answered; nothing more to do. */
  enum PeerAnswered implements Command {
    INSTANCE
  }

  /** Reaching a parent or child did not work; try the tree again later. */
  record PeersUnanswered(String problem) implements Command {}

  /** The next deadline may have come. */
  enum Tick implements Command {
    INSTANCE
  }

  /** Time to call the tree (children, parent) again. */
  enum CallPeersAgain implements Command {
    INSTANCE
  }

  // Events (forever: MissionMigrations reads what older releases wrote)

  public sealed interface Event extends CborSerializable {}

  public record MissionSubmitted(String missionId, MissionSpec spec, Instant at) implements Event {}

  public record ApprovalRequested(Instant at) implements Event {}

  public record ApprovalGiven(MissionState.Approval approval) implements Event {}

  /** Nobody has taken the mission yet; it waits in the backlog. */
  public record MissionQueued(Instant at) implements Event {}

  public record DecisionMade(Decision decision, Instant at) implements Event {}

  public record OfferAccepted(int attempt, Instant at) implements Event {}

  public record HeartbeatRecorded(
      int attempt, Optional<Double> progress, Optional<Amount> cost, Instant at) implements Event {}

  public record AttemptSucceeded(int attempt, JsonNode result, Optional<Amount> cost, Instant at)
      implements Event {}

  public record AttemptFailed(
      int attempt, Attempt.Failure failure, Optional<Amount> cost, Instant at) implements Event {}

  /** The attempt never started: refused by the inbox, declined by the worker. */
  public record AttemptWithdrawn(int attempt, String reason, Instant at) implements Event {}

  public record AttemptHandedOff(MissionState.Handoff handoff) implements Event {}

  public record ChildReported(String childId, Phase outcome, Instant at) implements Event {}

  public record EscalationResolved(String escalationId, Escalation.Resolution resolution)
      implements Event {}

  // State

  public sealed interface State extends CborSerializable {}

  /** Nothing was submitted under this id. */
  public enum Unknown implements State {
    INSTANCE
  }

  public record Known(MissionState mission) implements State {}

  // Behavior

  private static final String DEADLINE_TIMER = "deadline";
  private static final String PEERS_TIMER = "peers";
  private static final String SETTLE_TIMER = "settle";

  /** Who answers a command that persists, and with what: the mission, or its work status. */
  private record Answer<R>(ActorRef<StatusReply<R>> to, Function<MissionState, R> of) {}

  private final String missionId;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final MissionActions actions;
  private final DecisionPolicy policy;
  private final CoordinatorSettings settings;
  private final Clock clock;

  /** When each attempt's worker was last heard of; not persisted (heartbeats are not facts). */
  private final Map<Integer, Instant> lastSeen = new HashMap<>();

  /** Ended attempts whose usage the budget has not confirmed yet. */
  private final Set<Integer> unsettled = new HashSet<>();

  private Mission(
      String missionId,
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      MissionLinks links,
      CoordinatorSettings settings,
      Clock clock) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), missionId), settings.persistFailure());
    this.missionId = missionId;
    this.context = context;
    this.timers = timers;
    this.actions = new MissionActions(missionId, context, links);
    this.policy = new DecisionPolicy(settings.escalationTarget());
    this.settings = settings;
    this.clock = clock;
  }

  public static Behavior<Command> create(
      String missionId, MissionLinks links, CoordinatorSettings settings, Clock clock) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> new Mission(missionId, context, timers, links, settings, clock)));
  }

  /** Starts sharding of missions on this node. */
  public static void init(
      ActorSystem<?> system, MissionLinks links, CoordinatorSettings settings, Clock clock) {
    ClusterSharding.get(system)
        .init(
            Entity.of(
                ENTITY_TYPE_KEY, entity -> create(entity.getEntityId(), links, settings, clock)));
  }

  @Override
  public State emptyState() {
    return Unknown.INSTANCE;
  }

  /**
   * Missions are short (a handful of events), so they are recovered by replaying their events: no
   * snapshot is saved, and recovery does not ask the snapshot store for one (a new mission would
   * otherwise pay a query for a snapshot that cannot exist).
   */
  @Override
  public SnapshotSelectionCriteria snapshotSelectionCriteria() {
    return SnapshotSelectionCriteria.none();
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(TAG);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> builder =
        newCommandHandlerWithReplyBuilder();
    builder
        .forStateType(Unknown.class)
        .onCommand(Submit.class, this::submit)
        .onCommand(Request.class, (s, c) -> Guarded.refuse(Effect(), c, notFound()))
        .onCommand(ReportChild.class, (s, c) -> Effect().reply(c.replyTo(), notFound().reply()))
        .onCommand(Offer.class, (s, c) -> status(c.replyTo(), unknown(c.workspace())))
        .onCommand(GiveUp.class, (s, c) -> status(c.replyTo(), unknown(c.workspace())))
        .onAnyCommand(command -> Effect().noReply());
    builder
        .forStateType(Known.class)
        .onCommand(Request.class, this::request)
        .onCommand(ReportChild.class, this::reportChild)
        .onCommand(Offer.class, this::offer)
        .onCommand(GiveUp.class, this::giveUp)
        .onCommand(OfferPlaced.class, this::offerPlaced)
        .onCommand(OfferUnanswered.class, this::offerUnanswered)
        .onCommand(PlaceOfferAgain.class, this::placeOfferAgain)
        .onCommand(ReservationDenied.class, this::reservationDenied)
        .onCommand(BudgetUnsettled.class, this::budgetUnsettled)
        .onCommand(SettleAgain.class, (s, c) -> settleAgain(s.mission()))
        .onCommand(RecoveryUnplaced.class, this::recoveryUnplaced)
        .onCommand(
            RequestRecoveryAgain.class,
            (s, c) -> acting(() -> actions.requestRecovery(s.mission(), c.escalationId())))
        .onCommand(ChildSeen.class, this::childSeen)
        .onCommand(PeersUnanswered.class, this::peersUnanswered)
        .onCommand(CallPeersAgain.class, (s, c) -> acting(() -> actions.callPeers(s.mission())))
        .onCommand(PeerAnswered.class, (s, c) -> Effect().noReply())
        .onCommand(Tick.class, (s, c) -> deadline(s));
    return Guarded.commands(builder.build(), Effect(), context.getLog(), "mission " + missionId);
  }

  /**
   * A request to a known mission. Another workspace's caller learns nothing (not found); each
   * request then takes the one path of its kind.
   */
  private ReplyEffect<Event, State> request(Known state, Request request) {
    MissionState mission = state.mission();
    if (!request.caller().sees(mission.spec().workspace())) {
      return Guarded.refuse(Effect(), request, notFound());
    }
    if (request instanceof Get get) {
      return Effect().reply(get.replyTo(), StatusReply.success(mission));
    }
    if (request instanceof Submit submit) {
      return mission.spec().equals(submit.spec())
          ? Effect().reply(submit.replyTo(), StatusReply.success(mission))
          : Guarded.refuse(
              Effect(),
              submit,
              Rejection.conflict("mission " + missionId + " exists with a different spec"));
    }
    if (request instanceof Approve approve) {
      return approve(state, approve);
    }
    if (request instanceof Cancel cancel) {
      return mission.phase().isFinal()
          ? Effect().reply(cancel.replyTo(), StatusReply.success(mission))
          : decide(
              state,
              List.of(),
              new Signal.CancelRequested(
                  cancel.reason()
                      + " (by "
                      + cancel.caller().actor()
                      + cancel.caller().deviceName().map(d -> " on " + d).orElse("")
                      + ")"),
              answer(cancel));
    }
    if (request instanceof ResolveEscalation resolve) {
      return resolveEscalation(state, resolve);
    }
    return workerCall(state, request);
  }

  // Submission and approval

  private ReplyEffect<Event, State> submit(Unknown state, Submit submit) {
    if (!submit.caller().sees(submit.spec().workspace())) {
      return Guarded.refuse(
          Effect(),
          submit,
          Rejection.of(
              Rejection.Code.FORBIDDEN,
              "workspace " + submit.spec().workspace() + " is not the caller's workspace"));
    }
    Instant now = clock.instant();
    List<Event> facts = new ArrayList<>();
    facts.add(new MissionSubmitted(missionId, submit.spec(), now));
    if (submit.spec().approvalRequired()) {
      facts.add(new ApprovalRequested(now));
      return persist(state, facts, missionOf(applyAll(state, facts)), answer(submit), true);
    }
    return decide(state, facts, new Signal.Submitted(), answer(submit));
  }

  private ReplyEffect<Event, State> approve(Known state, Approve approve) {
    MissionState mission = state.mission();
    if (mission.phase() != Phase.AWAITING_APPROVAL) {
      return Guarded.refuse(
          Effect(),
          approve,
          Rejection.conflict(
              "mission "
                  + missionId
                  + " is "
                  + mission.phase().wire()
                  + ", not awaiting approval"));
    }
    MissionState.Approval approval =
        new MissionState.Approval(
            approve.granted(),
            approve.note(),
            approve.caller().actor(),
            clock.instant(),
            approve.caller().deviceName());
    return decide(
        state,
        List.of(new ApprovalGiven(approval)),
        new Signal.ApprovalGiven(approve.granted(), approve.note()),
        answer(approve));
  }

  // The worker's side of an attempt

  /**
   * A worker's call about attempt {@code n} (a participant's credential: only its own attempts, any
   * other answers not found). When that attempt is not the worker's to run any more the call is
   * stale (the worker must stand down); a repeat of what already happened changes nothing; anything
   * else takes the one path.
   */
  private ReplyEffect<Event, State> workerCall(Known state, Request request) {
    MissionState mission = state.mission();
    if (request instanceof HandOff handOff) {
      Optional<Rejection> stranger =
          handOff.participant().flatMap(p -> p.refusalFor(mission.spec().workspace()));
      if (stranger.isPresent()) {
        return Guarded.refuse(Effect(), handOff, stranger.get());
      }
    }
    int number = attemptOf(request);
    // A participant's own credential reaches only attempts offered to it; another's is not found.
    Optional<Attempt> found =
        mission.attempt(number).filter(a -> request.caller().actsFor(a.participantId()));
    if (found.isEmpty()) {
      return Guarded.refuse(
          Effect(),
          request,
          Rejection.notFound("mission " + missionId + " has no attempt " + number));
    }
    Attempt attempt = found.get();
    if (repeats(request, attempt)) {
      return Effect().reply(request.replyTo(), StatusReply.success(mission));
    }
    if (!attempt.active()) {
      return Guarded.refuse(
          Effect(),
          request,
          Rejection.of(
              Rejection.Code.STALE_ATTEMPT,
              "attempt "
                  + number
                  + " of mission "
                  + missionId
                  + " is "
                  + attempt.state().wire()
                  + attempt.endReason().map(r -> " (" + r + ")").orElse("")
                  + "; stand down"));
    }
    Instant now = clock.instant();
    if (request instanceof AcceptOffer accept) {
      return persist(
          state,
          List.of(new OfferAccepted(number, now)),
          mission.accepted(number, now),
          answer(accept),
          true);
    }
    if (request instanceof DeclineOffer decline) {
      if (attempt.state() != Attempt.State.OFFERED) {
        return Guarded.refuse(
            Effect(),
            decline,
            Rejection.conflict("attempt " + number + " is running: report it failed instead"));
      }
      return decide(
          state,
          List.of(new AttemptWithdrawn(number, "declined: " + decline.reason(), now)),
          new Signal.OfferDeclined(number, attempt.participantId(), decline.reason()),
          answer(decline));
    }
    if (request instanceof Heartbeat beat) {
      return heartbeat(state, attempt, beat);
    }
    if (request instanceof CompleteAttempt complete) {
      return decide(
          state,
          List.of(new AttemptSucceeded(number, complete.result(), complete.cost(), now)),
          new Signal.AttemptSucceeded(number),
          answer(complete));
    }
    if (request instanceof FailAttempt fail) {
      return decide(
          state,
          List.of(new AttemptFailed(number, fail.failure(), fail.cost(), now)),
          new Signal.AttemptFailed(number),
          answer(fail));
    }
    HandOff handOff = (HandOff) request;
    Requirements current = mission.requirements();
    Requirements to =
        new Requirements(
            handOff.capabilities().orElse(current.capabilities()),
            handOff.role().map(Set::of).orElse(current.roles()),
            handOff.participant().map(NamedParticipant::id));
    return decide(
        state,
        List.of(
            new AttemptHandedOff(
                new MissionState.Handoff(
                    number, attempt.participantId(), to, handOff.note(), now))),
        new Signal.HandedOff(number, handOff.note()),
        answer(handOff));
  }

  /** A heartbeat that changes nothing recorded is answered without an event. */
  private ReplyEffect<Event, State> heartbeat(Known state, Attempt attempt, Heartbeat beat) {
    MissionState mission = state.mission();
    lastSeen.put(attempt.number(), clock.instant());
    boolean changed =
        attempt.state() == Attempt.State.OFFERED
            || beat.progress().filter(p -> p != attempt.progress()).isPresent()
            || beat.cost().filter(c -> !c.equals(attempt.cost())).isPresent();
    if (!changed) {
      arm(mission);
      return Effect().reply(beat.replyTo(), StatusReply.success(mission));
    }
    return decide(
        state,
        List.of(
            new HeartbeatRecorded(attempt.number(), beat.progress(), beat.cost(), clock.instant())),
        new Signal.UsageReported(attempt.number()),
        answer(beat));
  }

  private static int attemptOf(Request request) {
    if (request instanceof AcceptOffer r) {
      return r.attempt();
    }
    if (request instanceof DeclineOffer r) {
      return r.attempt();
    }
    if (request instanceof Heartbeat r) {
      return r.attempt();
    }
    if (request instanceof CompleteAttempt r) {
      return r.attempt();
    }
    if (request instanceof FailAttempt r) {
      return r.attempt();
    }
    return ((HandOff) request).attempt();
  }

  /** Whether the worker's call repeats what the attempt already did (answered as it stands). */
  private static boolean repeats(Request request, Attempt attempt) {
    Attempt.State was = attempt.state();
    if (request instanceof AcceptOffer) {
      return was == Attempt.State.RUNNING
          || was == Attempt.State.SUCCEEDED
          || was == Attempt.State.FAILED;
    }
    if (request instanceof DeclineOffer) {
      return was == Attempt.State.WITHDRAWN;
    }
    if (request instanceof CompleteAttempt) {
      return was == Attempt.State.SUCCEEDED;
    }
    if (request instanceof FailAttempt) {
      return was == Attempt.State.FAILED;
    }
    return request instanceof HandOff && was == Attempt.State.HANDED_OFF;
  }

  // Operators and the mission tree

  private ReplyEffect<Event, State> resolveEscalation(Known state, ResolveEscalation resolve) {
    MissionState mission = state.mission();
    Optional<Rejection> refusal =
        mission.refusalToResolve(resolve.escalationId(), resolve.action(), resolve.participant());
    if (refusal.isPresent()) {
      return Guarded.refuse(Effect(), resolve, refusal.get());
    }
    Escalation.Resolution how =
        new Escalation.Resolution(
            resolve.action(),
            resolve.participant().map(NamedParticipant::id),
            resolve.note(),
            resolve.caller().actor(),
            clock.instant(),
            resolve.caller().deviceName());
    return decide(
        state,
        List.of(new EscalationResolved(resolve.escalationId(), how)),
        new Signal.EscalationResolved(
            resolve.escalationId(),
            resolve.action(),
            resolve.note(),
            resolve.participant().map(NamedParticipant::id)),
        answer(resolve));
  }

  private ReplyEffect<Event, State> reportChild(Known state, ReportChild report) {
    MissionState mission = state.mission();
    Optional<MissionState.Child> child = mission.child(report.childId());
    if (child.isEmpty()) {
      return Effect()
          .reply(
              report.replyTo(),
              Rejection.notFound("mission " + missionId + " has no child " + report.childId())
                  .reply());
    }
    if (child.get().outcome().equals(Optional.of(report.outcome()))) {
      return Effect().reply(report.replyTo(), StatusReply.success(mission));
    }
    return childOutcome(
        state,
        report.childId(),
        report.outcome(),
        Optional.of(new Answer<>(report.replyTo(), m -> m)));
  }

  private ReplyEffect<Event, State> childSeen(Known state, ChildSeen seen) {
    boolean news =
        (seen.phase().isFinal() || seen.phase() == Phase.ESCALATED)
            && state
                .mission()
                .child(seen.childId())
                .filter(c -> !c.outcome().equals(Optional.of(seen.phase())))
                .isPresent();
    return news
        ? childOutcome(state, seen.childId(), seen.phase(), Optional.empty())
        : Effect().noReply();
  }

  private ReplyEffect<Event, State> childOutcome(
      Known state, String childId, Phase outcome, Optional<Answer<MissionState>> answer) {
    return decide(
        state,
        List.of(new ChildReported(childId, outcome, clock.instant())),
        new Signal.ChildReported(childId, outcome),
        answer);
  }

  private ReplyEffect<Event, State> recoveryUnplaced(Known state, RecoveryUnplaced unplaced) {
    context
        .getLog()
        .warn(
            "Mission {}: the recovery request of {} was not placed ({}); again in {}",
            missionId,
            unplaced.escalationId(),
            unplaced.problem(),
            settings.offerRetryInterval());
    timers.startSingleTimer(
        new RequestRecoveryAgain(unplaced.escalationId()), settings.offerRetryInterval());
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> peersUnanswered(Known state, PeersUnanswered unanswered) {
    context
        .getLog()
        .warn(
            "Mission {} could not reach its tree ({}); trying again in {}",
            missionId,
            unanswered.problem(),
            settings.offerRetryInterval());
    timers.startSingleTimer(PEERS_TIMER, CallPeersAgain.INSTANCE, settings.offerRetryInterval());
    return Effect().noReply();
  }

  // The backlog

  private ReplyEffect<Event, State> offer(Known state, Offer offer) {
    return fromDispatcher(
        state,
        offer.attempt(),
        new Signal.Offered(offer.attempt(), offer.participantId()),
        offer.replyTo());
  }

  private ReplyEffect<Event, State> giveUp(Known state, GiveUp giveUp) {
    return fromDispatcher(
        state,
        giveUp.attempt(),
        new Signal.GivenUp(giveUp.attempt(), giveUp.why()),
        giveUp.replyTo());
  }

  /**
   * The dispatcher's call about the attempt the mission waits for takes the one path; about any
   * other, it is answered with where the mission stands. Either way the answer is that status.
   */
  private ReplyEffect<Event, State> fromDispatcher(
      Known state, int attempt, Signal signal, ActorRef<StatusReply<WorkStatus>> replyTo) {
    if (!state.mission().waitsFor(attempt)) {
      return status(replyTo, workStatus(state.mission()));
    }
    return decide(state, List.of(), signal, Optional.of(new Answer<>(replyTo, this::workStatus)));
  }

  // Offers

  private ReplyEffect<Event, State> offerPlaced(Known state, OfferPlaced placed) {
    if (!(placed.result() instanceof Inbox.Refused refused)
        || !isOffered(state.mission(), placed.attempt())) {
      return Effect().noReply();
    }
    return decide(
        state,
        List.of(
            new AttemptWithdrawn(
                placed.attempt(),
                "refused by the inbox: " + refused.rejection().message(),
                clock.instant())),
        new Signal.OfferRefused(
            placed.attempt(), placed.participantId(), refused.rejection().message()),
        Optional.empty());
  }

  private ReplyEffect<Event, State> offerUnanswered(Known state, OfferUnanswered unanswered) {
    if (isOffered(state.mission(), unanswered.attempt())) {
      context
          .getLog()
          .warn(
              "Offer of {} attempt {} to {} not confirmed ({}); placing it again in {}",
              missionId,
              unanswered.attempt(),
              unanswered.participantId(),
              unanswered.problem(),
              settings.offerRetryInterval());
      timers.startSingleTimer(
          new PlaceOfferAgain(unanswered.attempt()), settings.offerRetryInterval());
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> placeOfferAgain(Known state, PlaceOfferAgain again) {
    return isOffered(state.mission(), again.attempt())
        ? acting(() -> actions.placeOffer(state.mission()))
        : Effect().noReply();
  }

  private ReplyEffect<Event, State> reservationDenied(Known state, ReservationDenied denied) {
    MissionState mission = state.mission();
    if (!isOffered(mission, denied.attempt())) {
      return Effect().noReply();
    }
    String scope = mission.spec().budget().map(MissionSpec.BudgetRef::scope).orElse("?");
    return decide(
        state,
        List.of(
            new AttemptWithdrawn(
                denied.attempt(), "budget denied: " + denied.reason(), clock.instant())),
        new Signal.BudgetDenied(denied.attempt(), scope, denied.reason()),
        Optional.empty());
  }

  private ReplyEffect<Event, State> budgetUnsettled(Known state, BudgetUnsettled call) {
    unsettled.add(call.attempt());
    context
        .getLog()
        .warn(
            "Mission {}: the budget did not confirm the usage of attempt {} ({}); trying again in {}",
            missionId,
            call.attempt(),
            call.problem(),
            settings.offerRetryInterval());
    timers.startSingleTimer(SETTLE_TIMER, SettleAgain.INSTANCE, settings.offerRetryInterval());
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> settleAgain(MissionState mission) {
    List<Integer> again = List.copyOf(unsettled);
    unsettled.clear();
    return acting(
        () -> again.forEach(n -> mission.attempt(n).ifPresent(a -> actions.settle(mission, a))));
  }

  // Deadlines

  private ReplyEffect<Event, State> deadline(Known state) {
    MissionState mission = state.mission();
    Instant now = clock.instant();
    Optional<Deadlines.Deadline> due =
        Deadlines.next(mission, seen(mission)).filter(d -> !now.isBefore(d.at()));
    if (due.isEmpty()) {
      arm(mission);
      return Effect().noReply();
    }
    Deadlines.Deadline d = due.get();
    String participant = mission.currentAttempt().map(Attempt::participantId).orElse("");
    Signal signal =
        switch (d.kind()) {
          case OFFER_EXPIRES -> new Signal.OfferExpired(d.attempt(), participant);
          case HEARTBEAT_EXPIRES -> new Signal.HeartbeatExpired(d.attempt(), participant);
          case START_TO_CLOSE_EXPIRES -> new Signal.StartToCloseExpired(d.attempt(), participant);
        };
    return decide(state, List.of(), signal, Optional.empty());
  }

  // Deciding and persisting: the one path

  /**
   * Applies {@code facts}, asks the policy about {@code signal}, and persists the facts with the
   * decisions; each event is folded once here. A fact the transition table forbids refuses the
   * command.
   */
  private <R> ReplyEffect<Event, State> decide(
      State before, List<Event> facts, Signal signal, Optional<Answer<R>> answer) {
    MissionState afterFacts;
    try {
      afterFacts = missionOf(applyAll(before, facts));
    } catch (IllegalStateException illegal) {
      return illegal(answer, illegal);
    }
    Instant now = clock.instant();
    List<Event> events = new ArrayList<>(facts);
    MissionState after = afterFacts;
    List<Decision> decisions = policy.decide(afterFacts, signal);
    try {
      for (Decision decision : decisions) {
        events.add(new DecisionMade(decision, now));
        after = after.decided(decision, now);
      }
      if (signal instanceof Signal.Submitted
          || signal instanceof Signal.ApprovalGiven a && a.granted()) {
        if (decisions.isEmpty()) {
          events.add(new MissionQueued(now));
          after = after.queued(now);
        }
      }
    } catch (IllegalStateException illegal) {
      return illegal(answer, illegal);
    }
    if (events.isEmpty()) {
      MissionState unchanged = missionOf(before);
      return answer.isPresent()
          ? Effect()
              .reply(answer.get().to(), StatusReply.success(answer.get().of().apply(unchanged)))
          : Effect().noReply();
    }
    boolean fromDispatcher = signal instanceof Signal.Offered || signal instanceof Signal.GivenUp;
    return persist(before, events, after, answer, !fromDispatcher);
  }

  /**
   * Persists {@code events} (whose outcome is {@code after}), then acts on the new state and
   * answers. {@code tellDispatcher}: false when the answer goes to the dispatcher anyway.
   */
  private <R> ReplyEffect<Event, State> persist(
      State before,
      List<Event> events,
      MissionState after,
      Optional<Answer<R>> answer,
      boolean tellDispatcher) {
    var effect =
        Effect()
            .persist(events)
            .thenRun(
                (State persisted) ->
                    Guarded.sideEffect(
                        context.getLog(),
                        "mission " + missionId,
                        "act after " + events.size() + " events",
                        () -> afterPersist(before, after, events, tellDispatcher)));
    return answer.isPresent()
        ? effect.thenReply(
            answer.get().to(), persisted -> StatusReply.success(answer.get().of().apply(after)))
        : effect.thenNoReply();
  }

  private <R> ReplyEffect<Event, State> illegal(
      Optional<Answer<R>> answer, IllegalStateException illegal) {
    if (answer.isPresent()) {
      return Effect()
          .reply(
              answer.get().to(),
              Rejection.of(Rejection.Code.ILLEGAL_TRANSITION, illegal.getMessage()).reply());
    }
    context.getLog().warn("Mission {}: {}", missionId, illegal.getMessage());
    return Effect().noReply();
  }

  private static Optional<Answer<MissionState>> answer(Request request) {
    return Optional.of(new Answer<>(request.replyTo(), m -> m));
  }

  private static State applyAll(State state, List<Event> events) {
    State next = state;
    for (Event event : events) {
      next = apply(next, event);
    }
    return next;
  }

  private static MissionState missionOf(State state) {
    return ((Known) state).mission();
  }

  // Acting on the persisted state (idempotent)

  /** After events were persisted: carry out the new decisions, then arm the next deadline. */
  private void afterPersist(
      State previous, MissionState after, List<Event> events, boolean tellDispatcher) {
    Optional<MissionState> before =
        previous instanceof Known known ? Optional.of(known.mission()) : Optional.empty();
    before.ifPresent(b -> settleEnded(b, after));
    for (Event event : events) {
      if (event instanceof DecisionMade made) {
        carryOut(after, made.decision());
      }
      if (event instanceof EscalationResolved resolved
          && resolved.resolution().action() == Escalation.Action.CONFIRM_RECOVERY) {
        actions.requestRecovery(after, resolved.escalationId());
      }
    }
    if (before.map(MissionState::phase).filter(p -> p == after.phase()).isEmpty()) {
      actions.reportToParent(after);
    }
    WorkStatus status = workStatus(after);
    boolean changed = before.map(b -> !sameStatus(b.workStatus(0), status)).orElse(true);
    if (tellDispatcher && changed && !(status instanceof WorkStatus.Idle && before.isEmpty())) {
      actions.tellDispatcher(status);
    }
    arm(after);
  }

  private void carryOut(MissionState mission, Decision decision) {
    if (decision instanceof Decision.Proceed) {
      actions.placeOffer(mission);
    } else if (decision instanceof Decision.Split) {
      actions.submitChildren(mission);
    } else if (decision instanceof Decision.StandDown down) {
      for (int number : down.attempts()) {
        mission.attempt(number).ifPresent(a -> actions.tellToStandDown(a, down.reason()));
      }
      down.children().forEach(child -> actions.cancelChild(child, down.reason()));
    }
  }

  /** Every attempt that was active and has ended commits what it used. */
  private void settleEnded(MissionState before, MissionState after) {
    for (Attempt was : before.attempts()) {
      if (was.active() && after.attempt(was.number()).filter(Attempt::active).isEmpty()) {
        lastSeen.remove(was.number());
        actions.settle(after, after.attempt(was.number()).orElseThrow());
      }
    }
  }

  /** After recovery: act again on whatever the state says is under way. */
  private void recovered(State state) {
    if (!(state instanceof Known known)) {
      return;
    }
    MissionState mission = known.mission();
    mission.activeAttempt().ifPresent(a -> lastSeen.put(a.number(), clock.instant()));
    mission.attempts().stream().filter(a -> !a.active()).forEach(a -> actions.settle(mission, a));
    if (mission.phase() == Phase.OFFERED) {
      actions.placeOffer(mission);
    }
    actions.callPeers(mission);
    WorkStatus status = workStatus(mission);
    if (!(status instanceof WorkStatus.Idle)) {
      actions.tellDispatcher(status);
    }
    arm(mission);
  }

  /** Runs actions that need no event; a failure is logged, the mission goes on. */
  private ReplyEffect<Event, State> acting(Runnable what) {
    Guarded.sideEffect(context.getLog(), "mission " + missionId, "act", what);
    return Effect().noReply();
  }

  private void arm(MissionState mission) {
    Optional<Deadlines.Deadline> next = Deadlines.next(mission, seen(mission));
    if (next.isPresent()) {
      Duration in = Duration.between(clock.instant(), next.get().at());
      timers.startSingleTimer(DEADLINE_TIMER, Tick.INSTANCE, in.isNegative() ? Duration.ZERO : in);
    } else {
      timers.cancel(DEADLINE_TIMER);
    }
  }

  private Optional<Instant> seen(MissionState mission) {
    return mission.currentAttempt().map(a -> lastSeen.get(a.number()));
  }

  // Answers

  private WorkStatus workStatus(MissionState mission) {
    return mission.workStatus(lastSequenceNumber(context));
  }

  /** Whether two statuses say the same, whatever their versions. */
  private static boolean sameStatus(WorkStatus a, WorkStatus b) {
    if (a instanceof WorkStatus.Waiting wa && b instanceof WorkStatus.Waiting wb) {
      return wa.attempt() == wb.attempt()
          && wa.requirements().equals(wb.requirements())
          && wa.notBefore().equals(wb.notBefore())
          && wa.waitingSince().equals(wb.waitingSince());
    }
    if (a instanceof WorkStatus.Holding ha && b instanceof WorkStatus.Holding hb) {
      return ha.attempt() == hb.attempt() && ha.participantId().equals(hb.participantId());
    }
    return a instanceof WorkStatus.Idle && b instanceof WorkStatus.Idle;
  }

  private ReplyEffect<Event, State> status(
      ActorRef<StatusReply<WorkStatus>> to, WorkStatus status) {
    return Effect().reply(to, StatusReply.success(status));
  }

  private WorkStatus unknown(String workspace) {
    return new WorkStatus.Idle(missionId, workspace, 0);
  }

  private static boolean isOffered(MissionState mission, int attempt) {
    return mission.phase() == Phase.OFFERED
        && mission.currentAttempt().filter(a -> a.number() == attempt).isPresent();
  }

  private Rejection notFound() {
    return Rejection.notFound("mission " + missionId + " does not exist");
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            RecoveryCompleted.instance(),
            state ->
                Guarded.sideEffect(
                    context.getLog(),
                    "mission " + missionId,
                    "act after recovery",
                    () -> recovered(state)))
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(Mission::apply);
  }

  /** The event handler: the state after one event (also how the read side replays a mission). */
  public static State apply(State state, Event event) {
    if (event instanceof MissionSubmitted submitted) {
      return new Known(
          MissionState.submitted(submitted.missionId(), submitted.spec(), submitted.at()));
    }
    MissionState m = ((Known) state).mission();
    if (event instanceof DecisionMade e) {
      return new Known(m.decided(e.decision(), e.at()));
    }
    if (event instanceof ApprovalRequested e) {
      return new Known(m.awaitingApproval(e.at()));
    }
    if (event instanceof ApprovalGiven e) {
      return new Known(m.approvalGiven(e.approval()));
    }
    if (event instanceof MissionQueued e) {
      return new Known(m.queued(e.at()));
    }
    if (event instanceof OfferAccepted e) {
      return new Known(m.accepted(e.attempt(), e.at()));
    }
    if (event instanceof HeartbeatRecorded e) {
      return new Known(m.heartbeat(e.attempt(), e.progress(), e.cost(), e.at()));
    }
    if (event instanceof AttemptSucceeded e) {
      return new Known(m.succeeded(e.attempt(), e.result(), e.cost(), e.at()));
    }
    if (event instanceof AttemptFailed e) {
      return new Known(m.failed(e.attempt(), e.failure(), e.cost(), e.at()));
    }
    if (event instanceof AttemptWithdrawn e) {
      return new Known(m.withdrawn(e.attempt(), e.reason(), e.at()));
    }
    if (event instanceof AttemptHandedOff e) {
      return new Known(m.handedOff(e.handoff()));
    }
    if (event instanceof ChildReported e) {
      return new Known(m.childReported(e.childId(), e.outcome(), e.at()));
    }
    EscalationResolved e = (EscalationResolved) event;
    return new Known(m.escalationResolved(e.escalationId(), e.resolution()));
  }
}
