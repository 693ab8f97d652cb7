package dev.muster.registry.participant;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.muster.config.Caller;
import dev.muster.config.CborSerializable;
import dev.muster.config.Rejection;
import dev.muster.config.entity.Guarded;
import dev.muster.config.entity.Replying;
import dev.muster.registry.NameSet;
import dev.muster.registry.RegistrySettings;
import dev.muster.registry.inbox.Inbox;
import dev.muster.registry.inbox.Inboxes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
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
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * A participant of the swarm: who it is ({@link Registration}: workspace, kind, roles,
 * capabilities), what it may do (grants, boundaries: capacity, budget scope, trust zone), where its
 * failures go ({@link EscalationPosture}), what its runtime declares ({@link CapabilityManifest}),
 * and where it is in its lifecycle ({@link Status}). Changes, drains and stand-downs record who
 * asked and when.
 *
 * <pre>
 *   (unregistered) -Register-> ACTIVE -Drain-> DRAINING
 *   ACTIVE -(no heartbeat for liveness-window)-> OFFLINE -Heartbeat-> ACTIVE
 *   OFFLINE -Drain-> DRAINING;   any -StandDown-> STOOD_DOWN (final)
 * </pre>
 *
 * <p>Offline detection: while the entity is alive a timer, armed from the last recorded heartbeat
 * (also on recovery), persists {@link WentOffline}. A passivated entity has no timers, so replies
 * and the capability index read an active participant whose last recorded heartbeat is older than
 * the liveness window as offline ({@link Enrolled#statusAt}). Heartbeats closer together than
 * {@code heartbeat-record-interval} are answered without writing an event.
 *
 * <p>A stand-down also places a {@code stand_down} message in the participant's inbox (delivered
 * before anything queued after it), and is answered once the inbox has it; a repeated stand-down
 * places it again (the same message id), so a retry after a lost answer completes the job.
 *
 * <p>Every command carries its {@link Caller}: a caller confined to another workspace is answered
 * {@code not_found}, exactly as for a participant that does not exist.
 */
public final class Participant
    extends EventSourcedBehaviorWithEnforcedReplies<
        Participant.Command, Participant.Event, Participant.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "Participant");

  /** Every participant event carries this tag; the capability index follows it. */
  public static final String TAG = "participant";

  private static final String LIVENESS_TIMER = "liveness";

  // Commands: each answers the participant's view.

  public sealed interface Command extends CborSerializable {}

  /** A command from outside, on behalf of {@code caller}, answered with the view. */
  public sealed interface Request extends Command, Replying<View> {
    Caller caller();
  }

  public record Register(
      Registration registration, Caller caller, ActorRef<StatusReply<View>> replyTo)
      implements Request {}

  public record Get(Caller caller, ActorRef<StatusReply<View>> replyTo) implements Request {}

  public record Heartbeat(Caller caller, ActorRef<StatusReply<View>> replyTo) implements Request {}

  public record Drain(Caller caller, ActorRef<StatusReply<View>> replyTo) implements Request {}

  public record StandDown(String reason, Caller caller, ActorRef<StatusReply<View>> replyTo)
      implements Request {}

  /** Changes what is present in {@code changes}. */
  public record Update(Changes changes, Caller caller, ActorRef<StatusReply<View>> replyTo)
      implements Request {
    public Update {
      changes = changes == null ? Changes.NONE : changes;
    }
  }

  /** The liveness timer's tick; local only. */
  enum CheckLiveness implements Command {
    INSTANCE
  }

  /** The inbox answered the placing of the stand-down message; local only. */
  record StandDownPlaced(ActorRef<StatusReply<View>> replyTo, Optional<String> problem)
      implements Command {}

  /**
   * Participant events. Fields added after the first release are optional (a missing one reads as
   * empty), so events written before them still read back.
   */
  public sealed interface Event extends CborSerializable {
    String participantId();

    Instant at();
  }

  public record Registered(String participantId, Registration registration, Instant at)
      implements Event {}

  public record HeartbeatRecorded(String participantId, Instant at) implements Event {}

  public record DrainStarted(String participantId, Instant at, Optional<String> actor)
      implements Event {
    @JsonCreator
    public DrainStarted {
      actor = actor == null ? Optional.empty() : actor;
    }
  }

  public record StoodDown(String participantId, String reason, Instant at, Optional<String> actor)
      implements Event {
    @JsonCreator
    public StoodDown {
      actor = actor == null ? Optional.empty() : actor;
    }
  }

  public record WentOffline(String participantId, Instant lastSeen, Instant at) implements Event {}

  /** Who changed what, when: only the fields that changed are present. */
  public record Updated(
      String participantId,
      Optional<Set<String>> roles,
      Optional<Set<String>> capabilities,
      Optional<Integer> maxConcurrentAttempts,
      Optional<Set<String>> grants,
      Optional<String> budgetScope,
      Optional<String> trustZone,
      Optional<EscalationPosture> escalation,
      Optional<CapabilityManifest> manifest,
      Optional<String> actor,
      Instant at)
      implements Event {
    public Updated {
      roles = roles == null ? Optional.empty() : roles.map(NameSet::of);
      capabilities = capabilities == null ? Optional.empty() : capabilities.map(NameSet::of);
      maxConcurrentAttempts =
          maxConcurrentAttempts == null ? Optional.empty() : maxConcurrentAttempts;
      grants = grants == null ? Optional.empty() : grants.map(NameSet::of);
      budgetScope = budgetScope == null ? Optional.empty() : budgetScope;
      trustZone = trustZone == null ? Optional.empty() : trustZone;
      escalation = escalation == null ? Optional.empty() : escalation;
      manifest = manifest == null ? Optional.empty() : manifest;
      actor = actor == null ? Optional.empty() : actor;
    }

    public static Updated of(
        String participantId, Changes changes, Optional<String> actor, Instant at) {
      return new Updated(
          participantId,
          changes.roles(),
          changes.capabilities(),
          changes.maxConcurrentAttempts(),
          changes.grants(),
          changes.budgetScope(),
          changes.trustZone(),
          changes.escalation(),
          changes.manifest(),
          actor,
          at);
    }

    public Changes changes() {
      return new Changes(
          roles,
          capabilities,
          maxConcurrentAttempts,
          grants,
          budgetScope,
          trustZone,
          escalation,
          manifest);
    }
  }

  public sealed interface State extends CborSerializable {}

  public enum Unregistered implements State {
    INSTANCE
  }

  /**
   * A registered participant. {@link #apply} is the one fold of participant events: the entity's
   * event handler and the capability index both use it.
   */
  public record Enrolled(
      String id,
      Registration registration,
      Status status,
      Instant registeredAt,
      Optional<Instant> lastHeartbeat,
      Optional<String> standDownReason)
      implements State {
    public Enrolled {
      lastHeartbeat = lastHeartbeat == null ? Optional.empty() : lastHeartbeat;
      standDownReason = standDownReason == null ? Optional.empty() : standDownReason;
    }

    public static Enrolled of(Registered event) {
      return new Enrolled(
          event.participantId(),
          event.registration(),
          Status.ACTIVE,
          event.at(),
          Optional.empty(),
          Optional.empty());
    }

    /** The state after one event of a registered participant. */
    public Enrolled apply(Event event) {
      if (event instanceof HeartbeatRecorded e) {
        return heartbeat(e.at());
      }
      if (event instanceof DrainStarted) {
        return withStatus(Status.DRAINING);
      }
      if (event instanceof StoodDown e) {
        return new Enrolled(
            id,
            registration,
            Status.STOOD_DOWN,
            registeredAt,
            lastHeartbeat,
            Optional.of(e.reason()));
      }
      if (event instanceof WentOffline) {
        return withStatus(Status.OFFLINE);
      }
      if (event instanceof Updated e) {
        return new Enrolled(
            id,
            registration.with(e.changes()),
            status,
            registeredAt,
            lastHeartbeat,
            standDownReason);
      }
      return this;
    }

    /** A heartbeat brings an offline participant back; draining stays draining. */
    private Enrolled heartbeat(Instant at) {
      Status next = status == Status.OFFLINE ? Status.ACTIVE : status;
      Optional<Instant> last =
          lastHeartbeat.filter(previous -> previous.isAfter(at)).or(() -> Optional.of(at));
      return new Enrolled(id, registration, next, registeredAt, last, standDownReason);
    }

    private Enrolled withStatus(Status next) {
      return new Enrolled(id, registration, next, registeredAt, lastHeartbeat, standDownReason);
    }

    /** When the participant was last heard of: its last recorded heartbeat, or registration. */
    public Instant lastSeen() {
      return lastHeartbeat.filter(at -> at.isAfter(registeredAt)).orElse(registeredAt);
    }

    /**
     * The status as of {@code now}: an active participant not heard of within the liveness window
     * is offline, even before its entity has recorded that (it may be passivated).
     */
    public Status statusAt(Instant now, Duration livenessWindow) {
      return status == Status.ACTIVE && !now.isBefore(lastSeen().plus(livenessWindow))
          ? Status.OFFLINE
          : status;
    }

    boolean stoodDown() {
      return status == Status.STOOD_DOWN;
    }

    public String workspace() {
      return registration.workspace();
    }

    /** The view with the status as of {@code now} ({@link #statusAt}). */
    public View viewAt(Instant now, Duration livenessWindow) {
      return new View(
          id,
          registration.workspace(),
          registration.kind(),
          statusAt(now, livenessWindow),
          registration.roles(),
          registration.capabilities(),
          registration.maxConcurrentAttempts(),
          registeredAt,
          lastHeartbeat,
          registration.grants(),
          registration.budgetScope(),
          registration.trustZone(),
          registration.escalation(),
          registration.manifest(),
          standDownReason);
    }
  }

  private final String participantId;
  private final RegistrySettings settings;
  private final Inboxes inboxes;
  private final Clock clock;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;

  private Participant(
      String participantId,
      RegistrySettings settings,
      Inboxes inboxes,
      Clock clock,
      ActorContext<Command> context,
      TimerScheduler<Command> timers) {
    super(
        PersistenceId.of(ENTITY_TYPE_KEY.name(), participantId),
        settings.persistFailure().restart());
    this.participantId = participantId;
    this.settings = settings;
    this.inboxes = inboxes;
    this.clock = clock;
    this.context = context;
    this.timers = timers;
  }

  public static Behavior<Command> create(
      String participantId, RegistrySettings settings, Inboxes inboxes, Clock clock) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers ->
                    new Participant(participantId, settings, inboxes, clock, context, timers)));
  }

  /** Starts sharding of participants on this node. */
  public static void init(
      ActorSystem<?> system, RegistrySettings settings, Inboxes inboxes, Clock clock) {
    ClusterSharding.get(system)
        .init(
            Entity.of(ENTITY_TYPE_KEY, ctx -> create(ctx.getEntityId(), settings, inboxes, clock)));
  }

  @Override
  public State emptyState() {
    return Unregistered.INSTANCE;
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> builder =
        newCommandHandlerWithReplyBuilder();
    builder
        .forStateType(Unregistered.class)
        .onCommand(Register.class, this::register)
        .onCommand(Request.class, this::notFound);
    builder.forStateType(Enrolled.class).onCommand(Request.class, this::request);
    builder
        .forAnyState()
        .onCommand(CheckLiveness.class, this::checkLiveness)
        .onCommand(StandDownPlaced.class, this::standDownPlaced);
    return Guarded.commands(
        builder.build(), Effect(), context.getLog(), "participant " + participantId);
  }

  private ReplyEffect<Event, State> register(Unregistered state, Register command) {
    Optional<String> problem = command.registration().problem();
    if (problem.isPresent()) {
      return reject(command, Rejection.invalid(problem.get()));
    }
    if (!command.caller().sees(command.registration().workspace())) {
      return reject(command, forbidden(command.registration().workspace()));
    }
    return Effect()
        .persist(new Registered(participantId, command.registration(), clock.instant()))
        .thenRun(this::armLiveness)
        .thenReply(command.replyTo(), this::viewReply);
  }

  private ReplyEffect<Event, State> reRegister(Enrolled state, Register command) {
    if (!command.caller().sees(command.registration().workspace())) {
      return reject(command, forbidden(command.registration().workspace()));
    }
    if (!command.caller().sees(state.workspace())) {
      return reject(
          command,
          Rejection.conflict("participant id " + participantId + " is taken; use another"));
    }
    if (!state.registration().equals(command.registration())) {
      return reject(
          command,
          Rejection.conflict(
              "participant " + participantId + " is already registered differently"));
    }
    return view(state, command.replyTo());
  }

  /**
   * A request to a registered participant. Another workspace's caller, and another participant's
   * credential, learn nothing (not found); a stood-down participant answers reads and repeated
   * stand-downs and refuses the rest.
   */
  private ReplyEffect<Event, State> request(Enrolled state, Request command) {
    if (command instanceof Register register) {
      return reRegister(state, register);
    }
    if (!command.caller().sees(state.workspace()) || !command.caller().actsFor(participantId)) {
      return notFound(state, command);
    }
    if (command instanceof Get get) {
      return view(state, get.replyTo());
    }
    if (command instanceof StandDown standDown) {
      return standDown(state, standDown);
    }
    if (state.stoodDown()) {
      String what =
          command instanceof Heartbeat
              ? "heartbeat"
              : command instanceof Drain ? "drain" : "update";
      return reject(
          command,
          Rejection.conflict(
              "participant " + participantId + " has stood down; " + what + " is not possible"));
    }
    if (command instanceof Heartbeat heartbeat) {
      return heartbeat(state, heartbeat);
    }
    if (command instanceof Drain drain) {
      return drain(state, drain);
    }
    return update(state, (Update) command);
  }

  private ReplyEffect<Event, State> heartbeat(Enrolled state, Heartbeat command) {
    Instant now = clock.instant();
    boolean recentlyRecorded =
        state
            .lastHeartbeat()
            .map(last -> now.isBefore(last.plus(settings.heartbeatRecordInterval())))
            .orElse(false);
    if (state.status() != Status.OFFLINE && recentlyRecorded) {
      return view(state, command.replyTo());
    }
    return Effect()
        .persist(new HeartbeatRecorded(participantId, now))
        .thenRun(this::armLiveness)
        .thenReply(command.replyTo(), this::viewReply);
  }

  private ReplyEffect<Event, State> drain(Enrolled state, Drain command) {
    if (state.status() == Status.DRAINING) {
      return view(state, command.replyTo());
    }
    return Effect()
        .persist(
            new DrainStarted(participantId, clock.instant(), Optional.of(command.caller().actor())))
        .thenRun(this::armLiveness)
        .thenReply(command.replyTo(), this::viewReply);
  }

  private ReplyEffect<Event, State> standDown(Enrolled state, StandDown command) {
    if (state.stoodDown()) {
      placeStandDown(state, command.replyTo());
      return Effect().noReply();
    }
    String reason = command.reason() == null ? "" : command.reason().trim();
    if (reason.isEmpty()) {
      return reject(command, Rejection.invalid("a stand-down needs a reason"));
    }
    return Effect()
        .persist(
            new StoodDown(
                participantId, reason, clock.instant(), Optional.of(command.caller().actor())))
        .thenRun(
            after -> {
              armLiveness(after);
              Guarded.sideEffect(
                  context.getLog(),
                  "participant " + participantId,
                  "place the stand-down message",
                  () -> placeStandDown((Enrolled) after, command.replyTo()),
                  command.replyTo());
            })
        .thenNoReply();
  }

  /** Places the stand-down message into the inbox; the answer goes out when the inbox has it. */
  private void placeStandDown(Enrolled state, ActorRef<StatusReply<View>> replyTo) {
    var payload = JsonNodeFactory.instance.objectNode();
    payload.put("reason", state.standDownReason().orElse(""));
    Inbox.Draft draft =
        new Inbox.Draft(
            "stand-down-" + participantId, Inbox.MessageType.STAND_DOWN, "", 0, payload);
    context.pipeToSelf(
        inboxes.place(participantId, draft),
        (result, failure) ->
            new StandDownPlaced(
                replyTo,
                failure != null
                    ? Optional.of(failure.toString())
                    : result instanceof Inbox.Refused refused
                        ? Optional.of(refused.rejection().message())
                        : Optional.empty()));
  }

  private ReplyEffect<Event, State> standDownPlaced(State state, StandDownPlaced placed) {
    if (placed.problem().isPresent()) {
      return Effect()
          .reply(
              placed.replyTo(),
              Rejection.of(
                      Rejection.Code.UNAVAILABLE,
                      "participant "
                          + participantId
                          + " stood down, but its inbox did not take the stand-down message ("
                          + placed.problem().get()
                          + "); ask again")
                  .reply());
    }
    return Effect().reply(placed.replyTo(), viewReply(state));
  }

  private ReplyEffect<Event, State> update(Enrolled state, Update command) {
    Optional<String> problem = command.changes().problem();
    if (problem.isPresent()) {
      return reject(command, Rejection.invalid(problem.get()));
    }
    Changes changes = command.changes().relativeTo(state.registration());
    if (changes.isEmpty()) {
      return view(state, command.replyTo());
    }
    return Effect()
        .persist(
            Updated.of(
                participantId, changes, Optional.of(command.caller().actor()), clock.instant()))
        .thenReply(command.replyTo(), this::viewReply);
  }

  private ReplyEffect<Event, State> checkLiveness(State state, CheckLiveness tick) {
    if (!(state instanceof Enrolled enrolled) || enrolled.status() != Status.ACTIVE) {
      return Effect().noReply();
    }
    Instant now = clock.instant();
    if (now.isBefore(enrolled.lastSeen().plus(settings.livenessWindow()))) {
      armLiveness(state);
      return Effect().noReply();
    }
    return Effect()
        .persist(new WentOffline(participantId, enrolled.lastSeen(), now))
        .thenRun(this::armLiveness)
        .thenNoReply();
  }

  /** Arms the liveness timer while the participant is active, cancels it otherwise. */
  private void armLiveness(State state) {
    if (state instanceof Enrolled enrolled && enrolled.status() == Status.ACTIVE) {
      Instant deadline = enrolled.lastSeen().plus(settings.livenessWindow());
      Duration delay = Duration.between(clock.instant(), deadline);
      Duration atLeast = Duration.ofMillis(1);
      timers.startSingleTimer(
          LIVENESS_TIMER, CheckLiveness.INSTANCE, delay.compareTo(atLeast) < 0 ? atLeast : delay);
    } else {
      timers.cancel(LIVENESS_TIMER);
    }
  }

  private ReplyEffect<Event, State> notFound(State state, Request command) {
    return reject(
        command, Rejection.notFound("participant " + participantId + " is not registered"));
  }

  private static Rejection forbidden(String workspace) {
    return Rejection.of(
        Rejection.Code.FORBIDDEN, "workspace " + workspace + " is not the caller's workspace");
  }

  private ReplyEffect<Event, State> view(State state, ActorRef<StatusReply<View>> replyTo) {
    return Effect().reply(replyTo, viewReply(state));
  }

  private StatusReply<View> viewReply(State state) {
    return StatusReply.success(
        ((Enrolled) state).viewAt(clock.instant(), settings.livenessWindow()));
  }

  private ReplyEffect<Event, State> reject(Request command, Rejection rejection) {
    return Guarded.refuse(Effect(), command, rejection);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    var builder = newEventHandlerBuilder();
    builder.forStateType(Unregistered.class).onEvent(Registered.class, Enrolled::of);
    builder
        .forStateType(Enrolled.class)
        .onAnyEvent((state, event) -> ((Enrolled) state).apply(event));
    return builder.build();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::armLiveness)
        .build();
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(TAG);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return settings.participantSnapshots().retention();
  }
}
