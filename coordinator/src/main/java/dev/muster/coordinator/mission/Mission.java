package dev.muster.coordinator.mission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.muster.config.CborSerializable;
import dev.muster.config.Rejection;
import dev.muster.config.json.Json;
import dev.muster.coordinator.model.Attempt;
import dev.muster.coordinator.model.Decision;
import dev.muster.coordinator.model.Escalation;
import dev.muster.coordinator.model.MissionSpec;
import dev.muster.coordinator.model.MissionState;
import dev.muster.coordinator.model.Phase;
import dev.muster.coordinator.model.Requirements;
import dev.muster.coordinator.policy.Deadlines;
import dev.muster.coordinator.policy.DecisionPolicy;
import dev.muster.coordinator.policy.Signal;
import dev.muster.registry.inbox.Inbox;
import dev.muster.runtime.budget.Budget;
import dev.muster.runtime.dispatch.Dispatch;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
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
 * One mission, event-sourced and sharded by mission id. On every signal (a worker's report, a
 * deadline, a child's outcome, an operator's answer) it records the fact, asks the {@link
 * DecisionPolicy}, persists each decision with its reason, and only then acts on it: places the
 * offer, tells workers to stand down, submits or cancels children, reports to its parent, arms the
 * next deadline. Acting is idempotent, so after a restart it acts again on the recovered state;
 * deadlines are derived from the state ({@link Deadlines}), so they survive restarts and moves.
 */
public final class Mission
    extends EventSourcedBehaviorWithEnforcedReplies<Mission.Command, Mission.Event, Mission.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "Mission");

  /** Every mission event carries this tag, for the read side. */
  public static final String TAG = "mission";

  /** Rejection code of a worker's call for an attempt that is no longer its to run. */
  public static final String STALE_ATTEMPT = "stale_attempt";

  // Commands: replies are the mission's state after the command.

  public sealed interface Command extends CborSerializable {}

  public record Submit(MissionSpec spec, ActorRef<StatusReply<MissionState>> replyTo)
      implements Command {}

  public record Get(ActorRef<StatusReply<MissionState>> replyTo) implements Command {}

  /** The worker acknowledged the offer of {@code attempt}: it is running. */
  public record AcceptOffer(int attempt, ActorRef<StatusReply<MissionState>> replyTo)
      implements Command {}

  public record DeclineOffer(
      int attempt, String reason, ActorRef<StatusReply<MissionState>> replyTo) implements Command {}

  public record Heartbeat(
      int attempt,
      Optional<Double> progress,
      Optional<Double> cost,
      ActorRef<StatusReply<MissionState>> replyTo)
      implements Command {}

  public record CompleteAttempt(
      int attempt,
      JsonNode result,
      Optional<Double> cost,
      ActorRef<StatusReply<MissionState>> replyTo)
      implements Command {}

  public record FailAttempt(
      int attempt,
      Attempt.Failure failure,
      Optional<Double> cost,
      ActorRef<StatusReply<MissionState>> replyTo)
      implements Command {}

  /** The worker hands its attempt to other requirements (a role, capabilities, a participant). */
  public record HandOff(
      int attempt, Requirements to, String note, ActorRef<StatusReply<MissionState>> replyTo)
      implements Command {}

  public record Approve(
      boolean granted, String note, String by, ActorRef<StatusReply<MissionState>> replyTo)
      implements Command {}

  public record Cancel(String reason, String by, ActorRef<StatusReply<MissionState>> replyTo)
      implements Command {}

  public record ResolveEscalation(
      String escalationId,
      Escalation.Action action,
      Optional<String> participantId,
      String note,
      String by,
      ActorRef<StatusReply<MissionState>> replyTo)
      implements Command {}

  /** A child of this mission reached {@code outcome}. */
  public record ReportChild(
      String childId, Phase outcome, ActorRef<StatusReply<MissionState>> replyTo)
      implements Command {}

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

  /** Time to ask the capability index again for a waiting mission. */
  enum LookAgain implements Command {
    INSTANCE
  }

  /** Time to call the tree (children, parent) again. */
  enum CallPeersAgain implements Command {
    INSTANCE
  }

  // Events

  public sealed interface Event extends CborSerializable {}

  public record MissionSubmitted(String missionId, MissionSpec spec, Instant at) implements Event {}

  public record ApprovalRequested(Instant at) implements Event {}

  public record ApprovalGiven(MissionState.Approval approval) implements Event {}

  /** Nobody can take the mission yet; it waits for a participant. */
  public record MissionQueued(Instant at) implements Event {}

  public record DecisionMade(Decision decision, Instant at) implements Event {}

  public record OfferAccepted(int attempt, Instant at) implements Event {}

  public record HeartbeatRecorded(
      int attempt, Optional<Double> progress, Optional<Double> cost, Instant at) implements Event {}

  public record AttemptSucceeded(int attempt, JsonNode result, Optional<Double> cost, Instant at)
      implements Event {}

  public record AttemptFailed(
      int attempt, Attempt.Failure failure, Optional<Double> cost, Instant at) implements Event {}

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
  private static final String LOOK_AGAIN_TIMER = "look-again";
  private static final String PEERS_TIMER = "peers";

  private final String missionId;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final Dispatch dispatch;
  private final MissionPeers peers;
  private final MissionBudgets budgets;
  private final DecisionPolicy policy;
  private final CoordinatorSettings settings;
  private final Clock clock;

  /** When each attempt's worker was last heard of; not persisted (heartbeats are not facts). */
  private final Map<Integer, Instant> lastSeen = new HashMap<>();

  /** Ended attempts whose usage the budget has not confirmed yet. */
  private final Set<Integer> unsettled = new java.util.HashSet<>();

  private Mission(
      String missionId,
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      Dispatch dispatch,
      MissionPeers peers,
      MissionBudgets budgets,
      CoordinatorSettings settings,
      Clock clock) {
    super(
        PersistenceId.of(ENTITY_TYPE_KEY.name(), missionId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.missionId = missionId;
    this.context = context;
    this.timers = timers;
    this.dispatch = dispatch;
    this.peers = peers;
    this.budgets = budgets;
    this.policy = new DecisionPolicy(settings.dispatchRetryInterval(), settings.escalationTarget());
    this.settings = settings;
    this.clock = clock;
  }

  public static Behavior<Command> create(
      String missionId,
      Dispatch dispatch,
      MissionPeers peers,
      MissionBudgets budgets,
      CoordinatorSettings settings,
      Clock clock) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers ->
                    new Mission(
                        missionId, context, timers, dispatch, peers, budgets, settings, clock)));
  }

  public static void init(
      ActorSystem<?> system, Dispatch dispatch, CoordinatorSettings settings, Clock clock) {
    MissionPeers peers = new ShardedMissionPeers(system, settings.peerTimeout());
    MissionBudgets budgets = new ShardedMissionBudgets(system, settings.peerTimeout());
    ClusterSharding.get(system)
        .init(
            Entity.of(
                ENTITY_TYPE_KEY,
                entity -> create(entity.getEntityId(), dispatch, peers, budgets, settings, clock)));
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
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(AcceptOffer.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(DeclineOffer.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Heartbeat.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(CompleteAttempt.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(FailAttempt.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(HandOff.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Approve.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(Cancel.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(ResolveEscalation.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(ReportChild.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onAnyCommand(command -> Effect().noReply());
    builder
        .forStateType(Known.class)
        .onCommand(Submit.class, this::resubmit)
        .onCommand(
            Get.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s.mission())))
        .onCommand(AcceptOffer.class, this::acceptOffer)
        .onCommand(DeclineOffer.class, this::declineOffer)
        .onCommand(Heartbeat.class, this::heartbeat)
        .onCommand(CompleteAttempt.class, this::completeAttempt)
        .onCommand(FailAttempt.class, this::failAttempt)
        .onCommand(HandOff.class, this::handOff)
        .onCommand(Approve.class, this::approve)
        .onCommand(Cancel.class, this::cancel)
        .onCommand(ResolveEscalation.class, this::resolveEscalation)
        .onCommand(ReportChild.class, this::reportChild)
        .onCommand(OfferPlaced.class, this::offerPlaced)
        .onCommand(OfferUnanswered.class, this::offerUnanswered)
        .onCommand(PlaceOfferAgain.class, this::placeOfferAgain)
        .onCommand(ReservationDenied.class, this::reservationDenied)
        .onCommand(BudgetUnsettled.class, this::budgetUnsettled)
        .onCommand(SettleAgain.class, (s, c) -> settleAgain(s.mission()))
        .onCommand(ChildSeen.class, this::childSeen)
        .onCommand(PeersUnanswered.class, this::peersUnanswered)
        .onCommand(CallPeersAgain.class, (s, c) -> callPeers(s.mission()))
        .onCommand(PeerAnswered.class, (s, c) -> Effect().noReply())
        .onCommand(Tick.class, (s, c) -> deadline(s.mission()))
        .onCommand(LookAgain.class, (s, c) -> lookAgain(s.mission()));
    return builder.build();
  }

  // Submission and approval

  private ReplyEffect<Event, State> submit(Unknown state, Submit submit) {
    Instant now = clock.instant();
    List<Event> events = new ArrayList<>();
    events.add(new MissionSubmitted(missionId, submit.spec(), now));
    if (submit.spec().approvalRequired()) {
      events.add(new ApprovalRequested(now));
      return persist(state, events, Optional.of(submit.replyTo()));
    }
    return start(state, events, Optional.of(submit.replyTo()), Signal.Submitted::new);
  }

  /** Decides how a mission begins: split, proceed to a candidate, or wait in the queue. */
  private ReplyEffect<Event, State> start(
      State before,
      List<Event> facts,
      Optional<ActorRef<StatusReply<MissionState>>> replyTo,
      Function<Optional<String>, Signal> signal) {
    MissionState after = missionOf(applyAll(before, facts));
    Optional<String> candidate =
        after.spec().split().isPresent() ? Optional.empty() : candidate(after, List.of());
    List<Decision> decisions = policy.decide(after, signal.apply(candidate));
    releaseUnused(candidate, decisions);
    List<Event> events = new ArrayList<>(facts);
    decisions.forEach(d -> events.add(new DecisionMade(d, clock.instant())));
    if (decisions.isEmpty()) {
      events.add(new MissionQueued(clock.instant()));
    }
    return persist(before, events, replyTo);
  }

  private ReplyEffect<Event, State> resubmit(Known state, Submit submit) {
    if (state.mission().spec().equals(submit.spec())) {
      return Effect().reply(submit.replyTo(), StatusReply.success(state.mission()));
    }
    return Effect()
        .reply(
            submit.replyTo(),
            Rejection.reply(
                Rejection.CONFLICT, "mission " + missionId + " exists with a different spec"));
  }

  private ReplyEffect<Event, State> approve(Known state, Approve approve) {
    MissionState mission = state.mission();
    if (mission.phase() != Phase.AWAITING_APPROVAL) {
      return Effect()
          .reply(
              approve.replyTo(),
              Rejection.reply(
                  Rejection.CONFLICT,
                  "mission "
                      + missionId
                      + " is "
                      + mission.phase().wire()
                      + ", not awaiting approval"));
    }
    MissionState.Approval answer =
        new MissionState.Approval(approve.granted(), approve.note(), approve.by(), clock.instant());
    List<Event> facts = new ArrayList<>(List.of(new ApprovalGiven(answer)));
    if (!approve.granted()) {
      return decide(
          mission,
          facts,
          new Signal.ApprovalGiven(false, approve.note(), Optional.empty()),
          Optional.empty(),
          Optional.of(approve.replyTo()));
    }
    return start(
        state,
        facts,
        Optional.of(approve.replyTo()),
        candidate -> new Signal.ApprovalGiven(true, approve.note(), candidate));
  }

  // The worker's side of an attempt

  private ReplyEffect<Event, State> acceptOffer(Known state, AcceptOffer accept) {
    return onAttempt(
        state.mission(),
        accept.attempt(),
        accept.replyTo(),
        Set.of(Attempt.State.RUNNING, Attempt.State.SUCCEEDED, Attempt.State.FAILED),
        attempt ->
            persist(
                state,
                List.of(new OfferAccepted(accept.attempt(), clock.instant())),
                Optional.of(accept.replyTo())));
  }

  private ReplyEffect<Event, State> declineOffer(Known state, DeclineOffer decline) {
    MissionState mission = state.mission();
    return onAttempt(
        mission,
        decline.attempt(),
        decline.replyTo(),
        Set.of(Attempt.State.WITHDRAWN),
        attempt -> {
          if (attempt.state() != Attempt.State.OFFERED) {
            return Effect()
                .reply(
                    decline.replyTo(),
                    Rejection.reply(
                        Rejection.CONFLICT,
                        "attempt " + attempt.number() + " is running: report it failed instead"));
          }
          List<Event> facts =
              List.of(
                  new AttemptWithdrawn(
                      attempt.number(), "declined: " + decline.reason(), clock.instant()));
          Optional<String> alternative =
              candidate(applyAll(mission, facts), List.of(attempt.participantId()));
          return decide(
              mission,
              facts,
              new Signal.OfferDeclined(
                  attempt.number(), attempt.participantId(), decline.reason(), alternative),
              alternative,
              Optional.of(decline.replyTo()));
        });
  }

  private ReplyEffect<Event, State> heartbeat(Known state, Heartbeat beat) {
    MissionState mission = state.mission();
    return onAttempt(
        mission,
        beat.attempt(),
        beat.replyTo(),
        Set.of(),
        attempt -> {
          lastSeen.put(attempt.number(), clock.instant());
          boolean changed =
              attempt.state() == Attempt.State.OFFERED
                  || beat.progress().filter(p -> p != attempt.progress()).isPresent()
                  || beat.cost().filter(c -> c != attempt.cost()).isPresent();
          if (!changed) {
            arm(mission);
            return Effect().reply(beat.replyTo(), StatusReply.success(mission));
          }
          List<Event> facts =
              List.of(
                  new HeartbeatRecorded(
                      attempt.number(), beat.progress(), beat.cost(), clock.instant()));
          Optional<MissionSpec.BudgetRef> budget = mission.spec().budget();
          double used = beat.cost().orElse(attempt.cost());
          if (budget.isPresent() && used > budget.get().estimate()) {
            return decide(
                mission,
                facts,
                new Signal.BudgetExceeded(
                    attempt.number(), budget.get().scope(), used, budget.get().estimate()),
                Optional.empty(),
                Optional.of(beat.replyTo()));
          }
          return persist(state, facts, Optional.of(beat.replyTo()));
        });
  }

  private ReplyEffect<Event, State> completeAttempt(Known state, CompleteAttempt complete) {
    MissionState mission = state.mission();
    return onAttempt(
        mission,
        complete.attempt(),
        complete.replyTo(),
        Set.of(Attempt.State.SUCCEEDED),
        attempt ->
            decide(
                mission,
                List.of(
                    new AttemptSucceeded(
                        attempt.number(), complete.result(), complete.cost(), clock.instant())),
                new Signal.AttemptSucceeded(attempt.number()),
                Optional.empty(),
                Optional.of(complete.replyTo())));
  }

  private ReplyEffect<Event, State> failAttempt(Known state, FailAttempt fail) {
    MissionState mission = state.mission();
    return onAttempt(
        mission,
        fail.attempt(),
        fail.replyTo(),
        Set.of(Attempt.State.FAILED),
        attempt ->
            decide(
                mission,
                List.of(
                    new AttemptFailed(
                        attempt.number(), fail.failure(), fail.cost(), clock.instant())),
                new Signal.AttemptFailed(attempt.number()),
                Optional.empty(),
                Optional.of(fail.replyTo())));
  }

  private ReplyEffect<Event, State> handOff(Known state, HandOff handOff) {
    MissionState mission = state.mission();
    return onAttempt(
        mission,
        handOff.attempt(),
        handOff.replyTo(),
        Set.of(Attempt.State.HANDED_OFF),
        attempt -> {
          MissionState.Handoff handoff =
              new MissionState.Handoff(
                  attempt.number(),
                  attempt.participantId(),
                  handOff.to(),
                  handOff.note(),
                  clock.instant());
          List<Event> facts = List.of(new AttemptHandedOff(handoff));
          Optional<String> candidate =
              candidate(applyAll(mission, facts), List.of(attempt.participantId()));
          return decide(
              mission,
              facts,
              new Signal.HandedOff(attempt.number(), handOff.note(), candidate),
              candidate,
              Optional.of(handOff.replyTo()));
        });
  }

  /**
   * Runs {@code action} for a worker's call about {@code number} when that attempt is still the
   * worker's to run; a call in one of the {@code done} states changes nothing (it is a repeat); any
   * other call is stale, and the worker is told to stand down.
   */
  private ReplyEffect<Event, State> onAttempt(
      MissionState mission,
      int number,
      ActorRef<StatusReply<MissionState>> replyTo,
      Set<Attempt.State> done,
      Function<Attempt, ReplyEffect<Event, State>> action) {
    Optional<Attempt> attempt = mission.attempt(number);
    if (attempt.isEmpty()) {
      return Effect()
          .reply(
              replyTo,
              Rejection.reply(
                  Rejection.NOT_FOUND, "mission " + missionId + " has no attempt " + number));
    }
    if (done.contains(attempt.get().state())) {
      return Effect().reply(replyTo, StatusReply.success(mission));
    }
    if (!attempt.get().active()) {
      Attempt a = attempt.get();
      return Effect()
          .reply(
              replyTo,
              Rejection.reply(
                  STALE_ATTEMPT,
                  "attempt "
                      + number
                      + " of mission "
                      + missionId
                      + " is "
                      + a.state().wire()
                      + a.endReason().map(r -> " (" + r + ")").orElse("")
                      + "; stand down"));
    }
    return action.apply(attempt.get());
  }

  // Operators and the mission tree

  private ReplyEffect<Event, State> cancel(Known state, Cancel cancel) {
    MissionState mission = state.mission();
    if (mission.phase().isFinal()) {
      return Effect().reply(cancel.replyTo(), StatusReply.success(mission));
    }
    return decide(
        mission,
        List.of(),
        new Signal.CancelRequested(cancel.reason() + " (by " + cancel.by() + ")"),
        Optional.empty(),
        Optional.of(cancel.replyTo()));
  }

  private ReplyEffect<Event, State> resolveEscalation(Known state, ResolveEscalation resolve) {
    MissionState mission = state.mission();
    Optional<Escalation> escalation = mission.escalation(resolve.escalationId());
    if (escalation.isEmpty()) {
      return Effect()
          .reply(
              resolve.replyTo(),
              Rejection.reply(
                  Rejection.NOT_FOUND, "escalation " + resolve.escalationId() + " does not exist"));
    }
    Optional<String> refusal = refusal(mission, escalation.get(), resolve);
    if (refusal.isPresent()) {
      String code = escalation.get().open() ? Rejection.CONFLICT : "already_resolved";
      return Effect().reply(resolve.replyTo(), Rejection.reply(code, refusal.get()));
    }
    Escalation.Resolution how =
        new Escalation.Resolution(
            resolve.action(),
            resolve.participantId(),
            resolve.note(),
            resolve.by(),
            clock.instant());
    return decide(
        mission,
        List.of(new EscalationResolved(resolve.escalationId(), how)),
        new Signal.EscalationResolved(
            resolve.escalationId(), resolve.action(), resolve.note(), resolve.participantId()),
        Optional.empty(),
        Optional.of(resolve.replyTo()));
  }

  /** Why an escalation cannot be resolved this way, if it cannot. */
  private static Optional<String> refusal(
      MissionState mission, Escalation escalation, ResolveEscalation resolve) {
    if (!escalation.open()) {
      return Optional.of(
          "escalation "
              + escalation.id()
              + " was already resolved with "
              + escalation.resolution().orElseThrow().action().wire());
    }
    boolean split = !mission.children().isEmpty();
    return switch (resolve.action()) {
      case RETRY, RAISE_BUDGET, REASSIGN, CONFIRM_RECOVERY -> {
        if (split) {
          yield Optional.of(
              "mission "
                  + mission.id()
                  + " waits on its children: resolve the child's escalation, or cancel or"
                  + " accept_failure here");
        }
        if (resolve.action() == Escalation.Action.CONFIRM_RECOVERY
            && escalation.recoveryAction().isEmpty()) {
          yield Optional.of("escalation " + escalation.id() + " has no recovery action to confirm");
        }
        yield Optional.empty();
      }
      default -> Optional.empty();
    };
  }

  private ReplyEffect<Event, State> reportChild(Known state, ReportChild report) {
    MissionState mission = state.mission();
    Optional<MissionState.Child> child = mission.child(report.childId());
    if (child.isEmpty()) {
      return Effect()
          .reply(
              report.replyTo(),
              Rejection.reply(
                  Rejection.NOT_FOUND,
                  "mission " + missionId + " has no child " + report.childId()));
    }
    if (child.get().outcome().equals(Optional.of(report.outcome()))) {
      return Effect().reply(report.replyTo(), StatusReply.success(mission));
    }
    return childOutcome(mission, report.childId(), report.outcome(), Optional.of(report.replyTo()));
  }

  private ReplyEffect<Event, State> childSeen(Known state, ChildSeen seen) {
    MissionState mission = state.mission();
    boolean news =
        (seen.phase().isFinal() || seen.phase() == Phase.ESCALATED)
            && mission
                .child(seen.childId())
                .filter(c -> !c.outcome().equals(Optional.of(seen.phase())))
                .isPresent();
    return news
        ? childOutcome(mission, seen.childId(), seen.phase(), Optional.empty())
        : Effect().noReply();
  }

  private ReplyEffect<Event, State> childOutcome(
      MissionState mission,
      String childId,
      Phase outcome,
      Optional<ActorRef<StatusReply<MissionState>>> replyTo) {
    return decide(
        mission,
        List.of(new ChildReported(childId, outcome, clock.instant())),
        new Signal.ChildReported(childId, outcome),
        Optional.empty(),
        replyTo);
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

  // Offers

  private ReplyEffect<Event, State> offerPlaced(Known state, OfferPlaced placed) {
    MissionState mission = state.mission();
    if (!(placed.result() instanceof Inbox.Refused refused)
        || !isOffered(mission, placed.attempt())) {
      return Effect().noReply();
    }
    List<Event> facts =
        List.of(
            new AttemptWithdrawn(
                placed.attempt(), "refused by the inbox: " + refused.reason(), clock.instant()));
    Optional<String> alternative =
        candidate(applyAll(mission, facts), List.of(placed.participantId()));
    return decide(
        mission,
        facts,
        new Signal.OfferRefused(
            placed.attempt(), placed.participantId(), refused.reason(), alternative),
        alternative,
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
    if (isOffered(state.mission(), again.attempt())) {
      placeOffer(state.mission());
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> reservationDenied(Known state, ReservationDenied denied) {
    MissionState mission = state.mission();
    if (!isOffered(mission, denied.attempt())) {
      return Effect().noReply();
    }
    String scope = mission.spec().budget().map(MissionSpec.BudgetRef::scope).orElse("?");
    return decide(
        mission,
        List.of(
            new AttemptWithdrawn(
                denied.attempt(), "budget denied: " + denied.reason(), clock.instant())),
        new Signal.BudgetDenied(denied.attempt(), scope, denied.reason()),
        Optional.empty(),
        Optional.empty());
  }

  private ReplyEffect<Event, State> budgetUnsettled(Known state, BudgetUnsettled unsettledCall) {
    unsettled.add(unsettledCall.attempt());
    context
        .getLog()
        .warn(
            "Mission {}: the budget did not confirm the usage of attempt {} ({}); trying again in {}",
            missionId,
            unsettledCall.attempt(),
            unsettledCall.problem(),
            settings.offerRetryInterval());
    timers.startSingleTimer("settle", SettleAgain.INSTANCE, settings.offerRetryInterval());
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> settleAgain(MissionState mission) {
    List<Integer> again = List.copyOf(unsettled);
    unsettled.clear();
    again.forEach(n -> mission.attempt(n).ifPresent(a -> settle(mission, a)));
    return Effect().noReply();
  }

  // Deadlines and waiting

  private ReplyEffect<Event, State> deadline(MissionState mission) {
    Instant now = clock.instant();
    Optional<Deadlines.Deadline> due =
        Deadlines.next(mission, seen(mission), now).filter(d -> !now.isBefore(d.at()));
    if (due.isEmpty()) {
      arm(mission);
      return Effect().noReply();
    }
    Deadlines.Deadline d = due.get();
    String participant = mission.currentAttempt().map(Attempt::participantId).orElse("");
    return switch (d.kind()) {
      case OFFER_EXPIRES -> {
        Optional<String> alternative = candidate(mission, List.of(participant));
        yield decide(
            mission,
            List.of(),
            new Signal.OfferExpired(d.attempt(), participant, alternative),
            alternative,
            Optional.empty());
      }
      case HEARTBEAT_EXPIRES ->
          decide(
              mission,
              List.of(),
              new Signal.HeartbeatExpired(d.attempt(), participant),
              Optional.empty(),
              Optional.empty());
      case START_TO_CLOSE_EXPIRES ->
          decide(
              mission,
              List.of(),
              new Signal.StartToCloseExpired(d.attempt(), participant),
              Optional.empty(),
              Optional.empty());
      case RETRY_DUE -> lookAgain(mission);
      case WAIT_EXPIRES -> {
        Optional<String> last = waitingCandidate(mission);
        yield last.isPresent()
            ? decide(
                mission, List.of(), new Signal.CandidateFound(last.get()), last, Optional.empty())
            : decide(
                mission, List.of(), new Signal.WaitExpired(), Optional.empty(), Optional.empty());
      }
    };
  }

  private ReplyEffect<Event, State> lookAgain(MissionState mission) {
    boolean due = mission.retryAt().filter(at -> clock.instant().isBefore(at)).isEmpty();
    if (!mission.phase().waiting() || !due) {
      arm(mission);
      return Effect().noReply();
    }
    Optional<String> candidate = waitingCandidate(mission);
    if (candidate.isEmpty()) {
      arm(mission);
      return Effect().noReply();
    }
    return decide(
        mission,
        List.of(),
        new Signal.CandidateFound(candidate.get()),
        candidate,
        Optional.empty());
  }

  /** Whom a waiting mission could go to now: preferably not those it avoids, else anyone. */
  private Optional<String> waitingCandidate(MissionState mission) {
    return candidate(mission, mission.avoid())
        .or(() -> mission.avoid().isEmpty() ? Optional.empty() : candidate(mission, List.of()));
  }

  // Deciding and persisting

  /**
   * Applies {@code facts}, asks the policy about {@code signal}, and persists the facts with the
   * decisions. A candidate the decisions do not use is given back to the index.
   */
  private ReplyEffect<Event, State> decide(
      MissionState mission,
      List<Event> facts,
      Signal signal,
      Optional<String> candidate,
      Optional<ActorRef<StatusReply<MissionState>>> replyTo) {
    MissionState after;
    try {
      after = missionOf(applyAll(new Known(mission), facts));
    } catch (IllegalStateException illegal) {
      return reject(replyTo, illegal);
    }
    List<Decision> decisions = policy.decide(after, signal);
    releaseUnused(candidate, decisions);
    List<Event> events = new ArrayList<>(facts);
    Instant now = clock.instant();
    decisions.forEach(d -> events.add(new DecisionMade(d, now)));
    if (events.isEmpty()) {
      return replyTo.isPresent()
          ? Effect().reply(replyTo.get(), StatusReply.success(mission))
          : Effect().noReply();
    }
    return persist(new Known(mission), events, replyTo);
  }

  /**
   * Persists events after checking, on a copy of the state, that the transition table allows them:
   * an illegal command is refused with a reason and persists nothing. Then acts on the new state.
   */
  private ReplyEffect<Event, State> persist(
      State before, List<Event> events, Optional<ActorRef<StatusReply<MissionState>>> replyTo) {
    try {
      applyAll(before, events);
    } catch (IllegalStateException illegal) {
      return reject(replyTo, illegal);
    }
    var effect =
        Effect()
            .persist(events)
            .thenRun((State after) -> afterPersist(before, missionOf(after), events));
    return replyTo.isPresent()
        ? effect.thenReply(replyTo.get(), after -> StatusReply.success(((Known) after).mission()))
        : effect.thenNoReply();
  }

  private ReplyEffect<Event, State> reject(
      Optional<ActorRef<StatusReply<MissionState>>> replyTo, IllegalStateException illegal) {
    if (replyTo.isPresent()) {
      return Effect()
          .reply(replyTo.get(), Rejection.reply("illegal_transition", illegal.getMessage()));
    }
    context.getLog().warn("Mission {}: {}", missionId, illegal.getMessage());
    return Effect().noReply();
  }

  private static State applyAll(State state, List<Event> events) {
    State next = state;
    for (Event event : events) {
      next = apply(next, event);
    }
    return next;
  }

  private static MissionState applyAll(MissionState mission, List<Event> events) {
    return missionOf(applyAll(new Known(mission), events));
  }

  private static MissionState missionOf(State state) {
    return ((Known) state).mission();
  }

  // Acting on the persisted state (idempotent)

  /** After events were persisted: carry out the new decisions, then arm the next deadline. */
  private void afterPersist(State previous, MissionState after, List<Event> events) {
    if (previous instanceof Known known) {
      releaseEnded(known.mission(), after);
    }
    Phase before = previous instanceof Known known ? known.mission().phase() : null;
    for (Event event : events) {
      if (event instanceof DecisionMade made) {
        carryOut(after, made.decision());
      }
      if (event instanceof EscalationResolved resolved
          && resolved.resolution().action() == Escalation.Action.CONFIRM_RECOVERY) {
        requestRecovery(after, resolved.escalationId());
      }
    }
    if (after.phase() != before) {
      reportToParent(after);
    }
    arm(after);
  }

  private void carryOut(MissionState mission, Decision decision) {
    if (decision instanceof Decision.Proceed) {
      placeOffer(mission);
    } else if (decision instanceof Decision.Split) {
      submitChildren(mission);
    } else if (decision instanceof Decision.StandDown down) {
      for (int number : down.attempts()) {
        mission.attempt(number).ifPresent(a -> tellToStandDown(a, down.reason()));
      }
      down.children().forEach(child -> cancelChild(child, down.reason()));
    }
  }

  /** After recovery: act again on whatever the state says is under way. */
  private void recovered(State state) {
    if (!(state instanceof Known known)) {
      return;
    }
    MissionState mission = known.mission();
    mission.activeAttempt().ifPresent(a -> lastSeen.put(a.number(), clock.instant()));
    mission.attempts().stream().filter(a -> !a.active()).forEach(a -> settle(mission, a));
    if (mission.phase() == Phase.OFFERED) {
      placeOffer(mission);
    }
    callPeersNow(mission);
    arm(mission);
  }

  private ReplyEffect<Event, State> callPeers(MissionState mission) {
    callPeersNow(mission);
    return Effect().noReply();
  }

  /** Submits unfinished children, cancels them when the mission was cancelled, reports upwards. */
  private void callPeersNow(MissionState mission) {
    if (mission.phase() == Phase.SPLIT || mission.phase() == Phase.ESCALATED) {
      submitChildren(mission);
    }
    if (mission.phase() == Phase.CANCELLED || mission.phase() == Phase.STOOD_DOWN) {
      unfinishedChildren(mission)
          .forEach(child -> cancelChild(child, "the parent ended " + mission.phase().wire()));
    }
    reportToParent(mission);
  }

  private void arm(MissionState mission) {
    Instant now = clock.instant();
    Optional<Deadlines.Deadline> next = Deadlines.next(mission, seen(mission), now);
    if (next.isPresent()) {
      Duration in = Duration.between(now, next.get().at());
      timers.startSingleTimer(DEADLINE_TIMER, Tick.INSTANCE, in.isNegative() ? Duration.ZERO : in);
    } else {
      timers.cancel(DEADLINE_TIMER);
    }
    boolean due = mission.retryAt().filter(now::isBefore).isEmpty();
    if (mission.phase().waiting() && due) {
      timers.startSingleTimer(
          LOOK_AGAIN_TIMER, LookAgain.INSTANCE, settings.dispatchRetryInterval());
    } else {
      timers.cancel(LOOK_AGAIN_TIMER);
    }
  }

  private Optional<Instant> seen(MissionState mission) {
    return mission.currentAttempt().map(a -> lastSeen.get(a.number()));
  }

  private void placeOffer(MissionState mission) {
    Attempt attempt = mission.currentAttempt().orElseThrow();
    Inbox.Draft draft =
        new Inbox.Draft(
            offerMessageId(missionId, attempt.number()),
            Inbox.MessageType.TASK_OFFER,
            missionId,
            attempt.number(),
            offerPayload(mission));
    String participant = attempt.participantId();
    int number = attempt.number();
    CompletionStage<Command> placed =
        reserve(mission, draft.messageId())
            .thenCompose(
                denied ->
                    denied.isPresent()
                        ? CompletableFuture.completedFuture(
                            (Command) new ReservationDenied(number, participant, denied.get()))
                        : dispatch
                            .offer(participant, draft)
                            .thenApply(result -> new OfferPlaced(number, participant, result)));
    context.pipeToSelf(
        placed,
        (command, failure) ->
            failure == null
                ? command
                : new OfferUnanswered(number, participant, failure.toString()));
  }

  /**
   * Reserves the mission's estimate for an offer before it goes out (nothing to do without a
   * budget); completes with the reason when the budget denies it.
   */
  private CompletionStage<Optional<String>> reserve(MissionState mission, String key) {
    Optional<MissionSpec.BudgetRef> budget = mission.spec().budget();
    if (budget.isEmpty()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return budgets
        .reserve(budget.get().scope(), key, budget.get().estimate(), missionId)
        .thenApply(
            result ->
                result instanceof Budget.Denied denied
                    ? Optional.of(denied.reason())
                    : Optional.<String>empty());
  }

  /**
   * Commits what an ended attempt used against its reservation (a reservation that was never made
   * answers with a rejection: nothing to settle). Idempotent by key; retried when unanswered.
   */
  private void settle(MissionState mission, Attempt attempt) {
    Optional<MissionSpec.BudgetRef> budget = mission.spec().budget();
    if (budget.isEmpty()) {
      return;
    }
    context.pipeToSelf(
        budgets.commit(
            budget.get().scope(), offerMessageId(missionId, attempt.number()), attempt.cost()),
        (committed, failure) ->
            failure == null || rejected(failure)
                ? PeerAnswered.INSTANCE
                : new BudgetUnsettled(attempt.number(), failure.toString()));
  }

  private static boolean rejected(Throwable failure) {
    Throwable cause =
        failure instanceof java.util.concurrent.CompletionException ? failure.getCause() : failure;
    return cause instanceof StatusReply.ErrorMessage;
  }

  /**
   * Tells a participant to stop an attempt. Best effort: if this message is lost, the worker's next
   * heartbeat or report is answered {@code stale_attempt}, which tells it the same.
   */
  private void tellToStandDown(Attempt attempt, String reason) {
    ObjectNode payload = Json.mapper().createObjectNode().put("reason", reason);
    dispatch.offer(
        attempt.participantId(),
        new Inbox.Draft(
            offerMessageId(missionId, attempt.number()) + ".stand-down",
            Inbox.MessageType.STAND_DOWN,
            missionId,
            attempt.number(),
            payload));
  }

  /** An operator confirmed an escalation's recovery action: ask the participant to carry it out. */
  private void requestRecovery(MissionState mission, String escalationId) {
    Escalation escalation = mission.escalation(escalationId).orElseThrow();
    Optional<Attempt> failed =
        mission.attempts().stream()
            .filter(a -> a.failure().filter(f -> f.recoveryAction().isPresent()).isPresent())
            .reduce((a, b) -> b);
    failed.ifPresent(
        attempt -> {
          ObjectNode payload =
              Json.mapper()
                  .createObjectNode()
                  .put("escalation_id", escalationId)
                  .put("recovery_action", escalation.recoveryAction().orElse(""));
          dispatch.offer(
              attempt.participantId(),
              new Inbox.Draft(
                  escalationId + ".recovery",
                  Inbox.MessageType.RECOVERY_REQUESTED,
                  missionId,
                  attempt.number(),
                  payload));
        });
  }

  private void submitChildren(MissionState mission) {
    List<MissionState.Child> children = mission.children();
    for (int i = 0; i < children.size(); i++) {
      MissionState.Child child = children.get(i);
      if (child.outcome().filter(Phase::isFinal).isPresent()) {
        continue;
      }
      pipePeer(
          peers.submit(child.id(), mission.spec().child(missionId, i)),
          state -> new ChildSeen(child.id(), state.phase()));
    }
  }

  private void cancelChild(String childId, String reason) {
    pipePeer(peers.cancel(childId, reason), state -> new ChildSeen(childId, state.phase()));
  }

  private void reportToParent(MissionState mission) {
    Optional<String> parent = mission.spec().parentId();
    boolean worthTelling = mission.phase().isFinal() || mission.phase() == Phase.ESCALATED;
    if (parent.isPresent() && worthTelling) {
      pipePeer(
          peers.report(parent.get(), missionId, mission.phase()), state -> PeerAnswered.INSTANCE);
    }
  }

  private void pipePeer(
      CompletionStage<MissionState> call, Function<MissionState, Command> onAnswer) {
    context.pipeToSelf(
        call,
        (state, failure) ->
            failure == null ? onAnswer.apply(state) : new PeersUnanswered(failure.toString()));
  }

  private List<String> unfinishedChildren(MissionState mission) {
    return mission.children().stream()
        .filter(c -> c.outcome().filter(Phase::isFinal).isEmpty())
        .map(MissionState.Child::id)
        .toList();
  }

  // Participants

  /**
   * Whom the capability index offers for the mission's next attempt (a named one if reassigned).
   */
  private Optional<String> candidate(MissionState mission, List<String> avoid) {
    Requirements req = mission.requirements();
    if (req.participant().isPresent()) {
      return req.participant().filter(p -> !avoid.contains(p));
    }
    return dispatch.select(
        new dev.muster.runtime.dispatch.Requirements(
            mission.spec().workspace(), req.capabilities(), req.roles()),
        Set.copyOf(avoid));
  }

  private void releaseUnused(Optional<String> candidate, List<Decision> decisions) {
    if (candidate.isEmpty()) {
      return;
    }
    boolean used =
        decisions.stream()
            .anyMatch(
                d -> d instanceof Decision.Proceed p && p.participantId().equals(candidate.get()));
    if (!used) {
      dispatch.released(candidate.get());
    }
  }

  /** Every attempt that was active and has ended gives its participant's room back. */
  private void releaseEnded(MissionState before, MissionState after) {
    for (Attempt was : before.attempts()) {
      if (was.active() && after.attempt(was.number()).filter(Attempt::active).isEmpty()) {
        dispatch.released(was.participantId());
        lastSeen.remove(was.number());
        settle(after, after.attempt(was.number()).orElseThrow());
      }
    }
  }

  /** The offer's message id: the same for the same attempt, so placing it again is harmless. */
  public static String offerMessageId(String missionId, int attempt) {
    return missionId + ".a" + attempt;
  }

  private static JsonNode offerPayload(MissionState mission) {
    ObjectNode payload = Json.mapper().createObjectNode();
    payload.put("workspace", mission.spec().workspace());
    payload.put("title", mission.spec().title());
    payload.set(
        "required_capabilities", Json.mapper().valueToTree(mission.requirements().capabilities()));
    payload.set("input", mission.spec().input());
    payload.put("heartbeat_ms", mission.spec().timeouts().heartbeatMs());
    mission.spec().parentId().ifPresent(p -> payload.put("parent_id", p));
    return payload;
  }

  private static boolean isOffered(MissionState mission, int attempt) {
    return mission.phase() == Phase.OFFERED
        && mission.currentAttempt().filter(a -> a.number() == attempt).isPresent();
  }

  private StatusReply<MissionState> notFound() {
    return Rejection.reply(Rejection.NOT_FOUND, "mission " + missionId + " does not exist");
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::recovered)
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
