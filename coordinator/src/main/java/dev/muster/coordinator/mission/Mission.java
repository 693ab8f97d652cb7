package dev.muster.coordinator.mission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.muster.config.CborSerializable;
import dev.muster.config.Rejection;
import dev.muster.config.json.Json;
import dev.muster.coordinator.model.Attempt;
import dev.muster.coordinator.model.Decision;
import dev.muster.coordinator.model.MissionSpec;
import dev.muster.coordinator.model.MissionState;
import dev.muster.coordinator.model.Phase;
import dev.muster.coordinator.policy.DecisionPolicy;
import dev.muster.coordinator.policy.Signal;
import dev.muster.registry.inbox.Inbox;
import dev.muster.runtime.dispatch.Dispatch;
import dev.muster.runtime.dispatch.Requirements;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
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
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One mission, event-sourced and sharded by mission id. It asks the {@link DecisionPolicy} what to
 * do on every signal, persists each decision with its reason, and only then acts on it (places the
 * offer, arms a timer). Acting is idempotent, so after a restart it simply acts again on the
 * recovered state: an offer is re-placed under the same message id, a waiting timer is re-armed.
 */
public final class Mission
    extends EventSourcedBehaviorWithEnforcedReplies<Mission.Command, Mission.Event, Mission.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "Mission");

  /** Every mission event carries this tag, for the read side. */
  public static final String TAG = "mission";

  // Commands

  public sealed interface Command extends CborSerializable {}

  public record Submit(MissionSpec spec, ActorRef<StatusReply<MissionState>> replyTo)
      implements Command {}

  public record Get(ActorRef<StatusReply<MissionState>> replyTo) implements Command {}

  /** The worker acknowledged the offer of {@code attempt}: it is running. */
  public record AcceptOffer(int attempt, ActorRef<StatusReply<MissionState>> replyTo)
      implements Command {}

  public record CompleteAttempt(
      int attempt, JsonNode result, ActorRef<StatusReply<MissionState>> replyTo)
      implements Command {}

  /** The inbox answered the placing of an offer. Sent by the mission to itself. */
  record OfferPlaced(int attempt, String participantId, Inbox.EnqueueResult result)
      implements Command {}

  /** Placing an offer got no answer in time. Sent by the mission to itself. */
  record OfferUnanswered(int attempt, String participantId, String problem) implements Command {}

  /** Time to place the offer of {@code attempt} once more. */
  record PlaceOfferAgain(int attempt) implements Command {}

  /** Time to ask the capability index again for a waiting mission. */
  enum LookAgain implements Command {
    INSTANCE
  }

  // Events

  public sealed interface Event extends CborSerializable {}

  public record MissionSubmitted(String missionId, MissionSpec spec, Instant at) implements Event {}

  public record DecisionMade(Decision decision, Instant at) implements Event {}

  /** Nobody can take the mission yet; it waits for a participant. */
  public record MissionQueued(Instant at) implements Event {}

  public record OfferAccepted(int attempt, Instant at) implements Event {}

  public record AttemptSucceeded(int attempt, JsonNode result, Instant at) implements Event {}

  // State

  public sealed interface State extends CborSerializable {}

  /** Nothing was submitted under this id. */
  public enum Unknown implements State {
    INSTANCE
  }

  public record Known(MissionState mission) implements State {}

  // Behavior

  private final String missionId;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final Dispatch dispatch;
  private final DecisionPolicy policy;
  private final CoordinatorSettings settings;
  private final Clock clock;

  private Mission(
      String missionId,
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      Dispatch dispatch,
      CoordinatorSettings settings,
      Clock clock) {
    super(
        PersistenceId.of(ENTITY_TYPE_KEY.name(), missionId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.missionId = missionId;
    this.context = context;
    this.timers = timers;
    this.dispatch = dispatch;
    this.policy = new DecisionPolicy(settings.dispatchRetryInterval());
    this.settings = settings;
    this.clock = clock;
  }

  public static Behavior<Command> create(
      String missionId, Dispatch dispatch, CoordinatorSettings settings, Clock clock) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> new Mission(missionId, context, timers, dispatch, settings, clock)));
  }

  public static void init(
      ActorSystem<?> system, Dispatch dispatch, CoordinatorSettings settings, Clock clock) {
    ClusterSharding.get(system)
        .init(
            Entity.of(
                ENTITY_TYPE_KEY,
                entity -> create(entity.getEntityId(), dispatch, settings, clock)));
  }

  @Override
  public State emptyState() {
    return Unknown.INSTANCE;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
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
        .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), notFound()))
        .onCommand(AcceptOffer.class, (state, cmd) -> Effect().reply(cmd.replyTo(), notFound()))
        .onCommand(CompleteAttempt.class, (state, cmd) -> Effect().reply(cmd.replyTo(), notFound()))
        .onAnyCommand(command -> Effect().noReply());
    builder
        .forStateType(Known.class)
        .onCommand(Submit.class, this::resubmit)
        .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), view(state)))
        .onCommand(AcceptOffer.class, this::acceptOffer)
        .onCommand(CompleteAttempt.class, this::completeAttempt)
        .onCommand(OfferPlaced.class, this::offerPlaced)
        .onCommand(OfferUnanswered.class, this::offerUnanswered)
        .onCommand(PlaceOfferAgain.class, this::placeOfferAgain)
        .onCommand(LookAgain.class, this::lookAgain);
    return builder.build();
  }

  private ReplyEffect<Event, State> submit(Unknown state, Submit submit) {
    Instant now = clock.instant();
    MissionState submitted = MissionState.submitted(missionId, submit.spec(), now);
    Optional<String> candidate = dispatch.select(requirements(submitted), Set.of());
    List<Event> events = new ArrayList<>();
    events.add(new MissionSubmitted(missionId, submit.spec(), now));
    policy
        .decide(submitted, new Signal.Submitted(candidate))
        .ifPresentOrElse(
            decision -> events.add(new DecisionMade(decision, now)),
            () -> events.add(new MissionQueued(now)));
    return Effect().persist(events).thenRun(this::act).thenReply(submit.replyTo(), this::view);
  }

  private ReplyEffect<Event, State> resubmit(Known state, Submit submit) {
    if (state.mission().spec().equals(submit.spec())) {
      return Effect().reply(submit.replyTo(), view(state));
    }
    return Effect()
        .reply(
            submit.replyTo(),
            Rejection.reply(
                Rejection.CONFLICT, "mission " + missionId + " exists with a different spec"));
  }

  private ReplyEffect<Event, State> acceptOffer(Known state, AcceptOffer accept) {
    MissionState mission = state.mission();
    Optional<Attempt> attempt = mission.attempt(accept.attempt());
    if (attempt.isEmpty()) {
      return Effect().reply(accept.replyTo(), noSuchAttempt(accept.attempt()));
    }
    if (attempt.get().state() != Attempt.State.OFFERED) {
      return attempt.get().state() == Attempt.State.SUPERSEDED
          ? Effect().reply(accept.replyTo(), stale(attempt.get()))
          : Effect().reply(accept.replyTo(), view(state));
    }
    return persistChecked(
        state,
        List.of(new OfferAccepted(accept.attempt(), clock.instant())),
        accept.replyTo(),
        () -> {});
  }

  private ReplyEffect<Event, State> completeAttempt(Known state, CompleteAttempt complete) {
    MissionState mission = state.mission();
    Optional<Attempt> attempt = mission.attempt(complete.attempt());
    if (attempt.isEmpty()) {
      return Effect().reply(complete.replyTo(), noSuchAttempt(complete.attempt()));
    }
    if (attempt.get().state() == Attempt.State.SUCCEEDED) {
      return Effect().reply(complete.replyTo(), view(state));
    }
    if (!attempt.get().active()) {
      return Effect().reply(complete.replyTo(), stale(attempt.get()));
    }
    Instant now = clock.instant();
    List<Event> events = new ArrayList<>();
    events.add(new AttemptSucceeded(complete.attempt(), complete.result(), now));
    policy
        .decide(mission, new Signal.AttemptSucceeded(complete.attempt()))
        .ifPresent(decision -> events.add(new DecisionMade(decision, now)));
    String participant = attempt.get().participantId();
    return persistChecked(state, events, complete.replyTo(), () -> dispatch.released(participant));
  }

  private ReplyEffect<Event, State> offerPlaced(Known state, OfferPlaced placed) {
    if (!(placed.result() instanceof Inbox.Refused refused)) {
      return Effect().noReply();
    }
    MissionState mission = state.mission();
    dispatch.released(placed.participantId());
    Set<String> tried =
        mission.attempts().stream().map(Attempt::participantId).collect(Collectors.toSet());
    Optional<String> alternative = dispatch.select(requirements(mission), tried);
    Signal signal =
        new Signal.OfferRefused(
            placed.attempt(), placed.participantId(), refused.reason(), alternative);
    Optional<Decision> decision = policy.decide(mission, signal);
    if (decision.isEmpty()) {
      alternative.ifPresent(dispatch::released);
      return Effect().noReply();
    }
    return Effect()
        .persist(new DecisionMade(decision.get(), clock.instant()))
        .thenRun(this::act)
        .thenNoReply();
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

  private ReplyEffect<Event, State> lookAgain(Known state, LookAgain look) {
    MissionState mission = state.mission();
    if (mission.phase() != Phase.QUEUED && mission.phase() != Phase.RETRYING) {
      return Effect().noReply();
    }
    Optional<Decision> decision =
        dispatch
            .select(requirements(mission), Set.of())
            .flatMap(p -> policy.decide(mission, new Signal.CandidateFound(p)));
    if (decision.isEmpty()) {
      timers.startSingleTimer(LookAgain.INSTANCE, settings.dispatchRetryInterval());
      return Effect().noReply();
    }
    return Effect()
        .persist(new DecisionMade(decision.get(), clock.instant()))
        .thenRun(this::act)
        .thenNoReply();
  }

  /**
   * Persists events after checking, on a copy of the state, that the transition table allows them:
   * an illegal command is refused with a reason and persists nothing.
   */
  private ReplyEffect<Event, State> persistChecked(
      Known state,
      List<Event> events,
      ActorRef<StatusReply<MissionState>> replyTo,
      Runnable afterwards) {
    try {
      State after = state;
      for (Event event : events) {
        after = apply(after, event);
      }
    } catch (IllegalStateException illegal) {
      return Effect().reply(replyTo, Rejection.reply("illegal_transition", illegal.getMessage()));
    }
    return Effect()
        .persist(events)
        .thenRun(this::act)
        .thenRun(after -> afterwards.run())
        .thenReply(replyTo, this::view);
  }

  /** Acts on a state after it was persisted (and after recovery): every action is idempotent. */
  private void act(State state) {
    if (!(state instanceof Known known)) {
      return;
    }
    MissionState mission = known.mission();
    switch (mission.phase()) {
      case OFFERED -> placeOffer(mission);
      case QUEUED, RETRYING ->
          timers.startSingleTimer(LookAgain.INSTANCE, settings.dispatchRetryInterval());
      default -> timers.cancelAll();
    }
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
    context.pipeToSelf(
        dispatch.offer(attempt.participantId(), draft),
        (result, failure) ->
            failure == null
                ? new OfferPlaced(attempt.number(), attempt.participantId(), result)
                : new OfferUnanswered(
                    attempt.number(), attempt.participantId(), failure.toString()));
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
        "required_capabilities", Json.mapper().valueToTree(mission.spec().requiredCapabilities()));
    payload.set("input", mission.spec().input());
    return payload;
  }

  private static boolean isOffered(MissionState mission, int attempt) {
    return mission.phase() == Phase.OFFERED
        && mission.currentAttempt().filter(a -> a.number() == attempt).isPresent();
  }

  private static Requirements requirements(MissionState mission) {
    MissionSpec spec = mission.spec();
    return new Requirements(spec.workspace(), spec.requiredCapabilities(), spec.requiredRoles());
  }

  private StatusReply<MissionState> view(State state) {
    return StatusReply.success(((Known) state).mission());
  }

  private StatusReply<MissionState> notFound() {
    return Rejection.reply(Rejection.NOT_FOUND, "mission " + missionId + " does not exist");
  }

  private StatusReply<MissionState> noSuchAttempt(int attempt) {
    return Rejection.reply(
        Rejection.NOT_FOUND, "mission " + missionId + " has no attempt " + attempt);
  }

  private StatusReply<MissionState> stale(Attempt attempt) {
    return Rejection.reply(
        "stale_attempt",
        "attempt "
            + attempt.number()
            + " of mission "
            + missionId
            + " was superseded; its worker should stand down");
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), this::act).build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(Mission::apply);
  }

  private static State apply(State state, Event event) {
    if (event instanceof MissionSubmitted submitted) {
      return new Known(
          MissionState.submitted(submitted.missionId(), submitted.spec(), submitted.at()));
    }
    MissionState mission = ((Known) state).mission();
    if (event instanceof DecisionMade made) {
      return new Known(mission.decided(made.decision(), made.at()));
    }
    if (event instanceof MissionQueued queued) {
      return new Known(mission.queued(queued.at()));
    }
    if (event instanceof OfferAccepted accepted) {
      return new Known(mission.accepted(accepted.attempt(), accepted.at()));
    }
    AttemptSucceeded succeeded = (AttemptSucceeded) event;
    return new Known(mission.succeeded(succeeded.attempt(), succeeded.result(), succeeded.at()));
  }
}
