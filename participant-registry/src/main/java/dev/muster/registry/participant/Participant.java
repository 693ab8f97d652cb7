package dev.muster.registry.participant;

import dev.muster.config.CborSerializable;
import dev.muster.config.Rejection;
import dev.muster.registry.NameSet;
import dev.muster.registry.RegistrySettings;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
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
 * A participant of the swarm: who it is (workspace, kind, roles, capabilities, capacity) and where
 * it is in its lifecycle.
 *
 * <pre>
 *   (unregistered) -Register-> ACTIVE -Drain-> DRAINING
 *   ACTIVE -(no heartbeat for liveness-window)-> OFFLINE -Heartbeat-> ACTIVE
 *   OFFLINE -Drain-> DRAINING;   any -StandDown-> STOOD_DOWN (final)
 * </pre>
 *
 * <p>Offline detection: while the entity is alive a timer, armed from the last recorded heartbeat
 * (also on recovery), persists {@link WentOffline}. A passivated entity has no timers, so the
 * capability index also treats a participant whose last recorded heartbeat is older than the
 * liveness window as not selectable. Heartbeats closer together than {@code
 * heartbeat-record-interval} are answered without writing an event.
 *
 * <p>Rejections: {@code not_found} (never registered), {@code conflict} (a different registration
 * for the same id, or a command a stood-down participant cannot take), {@code invalid_request}.
 */
public final class Participant
    extends EventSourcedBehaviorWithEnforcedReplies<
        Participant.Command, Participant.Event, Participant.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "Participant");

  /** Every participant event carries this tag; the capability index follows it. */
  public static final String TAG = "participant";

  private static final String LIVENESS_TIMER = "liveness";

  public enum Kind {
    HOSTED_WORKER,
    EXTERNAL_AGENT,
    CONNECTED_RUNTIME,
    FLEET_WORKER,
    REVIEWER,
    ARBITER
  }

  public enum Status {
    ACTIVE,
    DRAINING,
    STOOD_DOWN,
    OFFLINE
  }

  /** What a participant declares when it joins. */
  public record Registration(
      String workspace,
      Kind kind,
      Set<String> roles,
      Set<String> capabilities,
      int maxConcurrentAttempts)
      implements CborSerializable {
    public Registration {
      roles = NameSet.of(roles);
      capabilities = NameSet.of(capabilities);
    }

    Optional<String> problem() {
      if (workspace == null || workspace.isBlank()) {
        return Optional.of("workspace is required");
      }
      if (kind == null) {
        return Optional.of("kind is required");
      }
      if (NameSet.hasBlank(roles) || NameSet.hasBlank(capabilities)) {
        return Optional.of("roles and capabilities must not be blank");
      }
      if (maxConcurrentAttempts < 1) {
        return Optional.of("max_concurrent_attempts must be at least 1");
      }
      return Optional.empty();
    }
  }

  /** What GET shows. */
  public record View(
      String id,
      String workspace,
      Kind kind,
      Status status,
      Set<String> roles,
      Set<String> capabilities,
      int maxConcurrentAttempts,
      Instant registeredAt,
      Optional<Instant> lastHeartbeat)
      implements CborSerializable {
    public View {
      lastHeartbeat = lastHeartbeat == null ? Optional.empty() : lastHeartbeat;
    }
  }

  public sealed interface Command extends CborSerializable {}

  public record Register(Registration registration, ActorRef<StatusReply<View>> replyTo)
      implements Command {}

  public record Get(ActorRef<StatusReply<View>> replyTo) implements Command {}

  public record Heartbeat(ActorRef<StatusReply<View>> replyTo) implements Command {}

  public record Drain(ActorRef<StatusReply<View>> replyTo) implements Command {}

  public record StandDown(String reason, ActorRef<StatusReply<View>> replyTo) implements Command {}

  /** Changes what is given; an empty field stays as it is. */
  public record Update(
      Optional<Set<String>> roles,
      Optional<Set<String>> capabilities,
      Optional<Integer> maxConcurrentAttempts,
      ActorRef<StatusReply<View>> replyTo)
      implements Command {
    public Update {
      roles = roles == null ? Optional.empty() : roles;
      capabilities = capabilities == null ? Optional.empty() : capabilities;
      maxConcurrentAttempts =
          maxConcurrentAttempts == null ? Optional.empty() : maxConcurrentAttempts;
    }
  }

  /** The liveness timer's tick; local only. */
  enum CheckLiveness implements Command {
    INSTANCE
  }

  public sealed interface Event extends CborSerializable {
    String participantId();

    Instant at();
  }

  public record Registered(String participantId, Registration registration, Instant at)
      implements Event {}

  public record HeartbeatRecorded(String participantId, Instant at) implements Event {}

  public record DrainStarted(String participantId, Instant at) implements Event {}

  public record StoodDown(String participantId, String reason, Instant at) implements Event {}

  public record WentOffline(String participantId, Instant lastSeen, Instant at) implements Event {}

  /** Only the fields that changed are present. */
  public record Updated(
      String participantId,
      Optional<Set<String>> roles,
      Optional<Set<String>> capabilities,
      Optional<Integer> maxConcurrentAttempts,
      Instant at)
      implements Event {
    public Updated {
      roles = roles == null ? Optional.empty() : roles.map(NameSet::of);
      capabilities = capabilities == null ? Optional.empty() : capabilities.map(NameSet::of);
      maxConcurrentAttempts =
          maxConcurrentAttempts == null ? Optional.empty() : maxConcurrentAttempts;
    }
  }

  public sealed interface State extends CborSerializable {}

  public enum Unregistered implements State {
    INSTANCE
  }

  public record Enrolled(
      String id,
      Registration registration,
      Status status,
      Instant registeredAt,
      Optional<Instant> lastHeartbeat)
      implements State {

    static Enrolled of(Registered event) {
      return new Enrolled(
          event.participantId(), event.registration(), Status.ACTIVE, event.at(), Optional.empty());
    }

    /** A heartbeat brings an offline participant back; draining stays draining. */
    Enrolled heartbeat(Instant at) {
      Status next = status == Status.OFFLINE ? Status.ACTIVE : status;
      return new Enrolled(id, registration, next, registeredAt, Optional.of(at));
    }

    Enrolled withStatus(Status next) {
      return new Enrolled(id, registration, next, registeredAt, lastHeartbeat);
    }

    Enrolled update(Updated event) {
      Registration next =
          new Registration(
              registration.workspace(),
              registration.kind(),
              event.roles().orElse(registration.roles()),
              event.capabilities().orElse(registration.capabilities()),
              event.maxConcurrentAttempts().orElse(registration.maxConcurrentAttempts()));
      return new Enrolled(id, next, status, registeredAt, lastHeartbeat);
    }

    /** When the participant was last heard of: its last recorded heartbeat, or registration. */
    public Instant lastSeen() {
      return lastHeartbeat.filter(at -> at.isAfter(registeredAt)).orElse(registeredAt);
    }

    boolean stoodDown() {
      return status == Status.STOOD_DOWN;
    }

    public View view() {
      return new View(
          id,
          registration.workspace(),
          registration.kind(),
          status,
          registration.roles(),
          registration.capabilities(),
          registration.maxConcurrentAttempts(),
          registeredAt,
          lastHeartbeat);
    }
  }

  private final String participantId;
  private final RegistrySettings settings;
  private final Clock clock;
  private final TimerScheduler<Command> timers;

  private Participant(
      String participantId,
      RegistrySettings settings,
      Clock clock,
      TimerScheduler<Command> timers) {
    super(
        PersistenceId.of(ENTITY_TYPE_KEY.name(), participantId),
        settings.persistFailure().restart());
    this.participantId = participantId;
    this.settings = settings;
    this.clock = clock;
    this.timers = timers;
  }

  public static Behavior<Command> create(
      String participantId, RegistrySettings settings, Clock clock) {
    return Behaviors.withTimers(timers -> new Participant(participantId, settings, clock, timers));
  }

  /** Starts sharding of participants on this node, reading the settings from its config. */
  public static void init(ActorSystem<?> system, Clock clock) {
    init(system, RegistrySettings.load(system), clock);
  }

  public static void init(ActorSystem<?> system, RegistrySettings settings, Clock clock) {
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_TYPE_KEY, ctx -> create(ctx.getEntityId(), settings, clock)));
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
        .onCommand(Get.class, command -> notFound(command.replyTo()))
        .onCommand(Heartbeat.class, command -> notFound(command.replyTo()))
        .onCommand(Drain.class, command -> notFound(command.replyTo()))
        .onCommand(StandDown.class, command -> notFound(command.replyTo()))
        .onCommand(Update.class, command -> notFound(command.replyTo()))
        .onCommand(CheckLiveness.class, this::ignore);
    builder
        .forState(state -> state instanceof Enrolled enrolled && enrolled.stoodDown())
        .onCommand(Register.class, (state, command) -> reRegister((Enrolled) state, command))
        .onCommand(Get.class, (state, command) -> view(state, command.replyTo()))
        .onCommand(StandDown.class, (state, command) -> view(state, command.replyTo()))
        .onCommand(Heartbeat.class, command -> stoodDown(command.replyTo(), "heartbeat"))
        .onCommand(Drain.class, command -> stoodDown(command.replyTo(), "drain"))
        .onCommand(Update.class, command -> stoodDown(command.replyTo(), "update"))
        .onCommand(CheckLiveness.class, this::ignore);
    builder
        .forStateType(Enrolled.class)
        .onCommand(Register.class, this::reRegister)
        .onCommand(Get.class, (state, command) -> view(state, command.replyTo()))
        .onCommand(Heartbeat.class, this::heartbeat)
        .onCommand(Drain.class, this::drain)
        .onCommand(StandDown.class, this::standDown)
        .onCommand(Update.class, this::update)
        .onCommand(CheckLiveness.class, this::checkLiveness);
    return builder.build();
  }

  private ReplyEffect<Event, State> register(Unregistered state, Register command) {
    Optional<String> problem = command.registration().problem();
    if (problem.isPresent()) {
      return reject(command.replyTo(), Rejection.INVALID, problem.get());
    }
    return Effect()
        .persist(new Registered(participantId, command.registration(), clock.instant()))
        .thenRun(this::armLiveness)
        .thenReply(command.replyTo(), this::viewReply);
  }

  private ReplyEffect<Event, State> reRegister(Enrolled state, Register command) {
    if (!state.registration().equals(command.registration())) {
      return reject(
          command.replyTo(),
          Rejection.CONFLICT,
          "participant " + participantId + " is already registered differently");
    }
    return view(state, command.replyTo());
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
        .persist(new DrainStarted(participantId, clock.instant()))
        .thenRun(this::armLiveness)
        .thenReply(command.replyTo(), this::viewReply);
  }

  private ReplyEffect<Event, State> standDown(Enrolled state, StandDown command) {
    String reason = command.reason() == null ? "" : command.reason().trim();
    if (reason.isEmpty()) {
      return reject(command.replyTo(), Rejection.INVALID, "a stand-down needs a reason");
    }
    return Effect()
        .persist(new StoodDown(participantId, reason, clock.instant()))
        .thenRun(this::armLiveness)
        .thenReply(command.replyTo(), this::viewReply);
  }

  private ReplyEffect<Event, State> update(Enrolled state, Update command) {
    Registration current = state.registration();
    Optional<Set<String>> roles = command.roles().map(NameSet::of);
    Optional<Set<String>> capabilities = command.capabilities().map(NameSet::of);
    Optional<Integer> max = command.maxConcurrentAttempts();
    if (roles.map(NameSet::hasBlank).orElse(false)
        || capabilities.map(NameSet::hasBlank).orElse(false)) {
      return reject(
          command.replyTo(), Rejection.INVALID, "roles and capabilities must not be blank");
    }
    if (max.map(value -> value < 1).orElse(false)) {
      return reject(
          command.replyTo(), Rejection.INVALID, "max_concurrent_attempts must be at least 1");
    }
    Updated changes =
        new Updated(
            participantId,
            roles.filter(value -> !value.equals(current.roles())),
            capabilities.filter(value -> !value.equals(current.capabilities())),
            max.filter(value -> value != current.maxConcurrentAttempts()),
            clock.instant());
    if (changes.roles().isEmpty()
        && changes.capabilities().isEmpty()
        && changes.maxConcurrentAttempts().isEmpty()) {
      return view(state, command.replyTo());
    }
    return Effect().persist(changes).thenReply(command.replyTo(), this::viewReply);
  }

  private ReplyEffect<Event, State> checkLiveness(Enrolled state, CheckLiveness tick) {
    if (state.status() != Status.ACTIVE) {
      return Effect().noReply();
    }
    Instant now = clock.instant();
    Instant deadline = state.lastSeen().plus(settings.livenessWindow());
    if (now.isBefore(deadline)) {
      armLiveness(state);
      return Effect().noReply();
    }
    return Effect().persist(new WentOffline(participantId, state.lastSeen(), now)).thenNoReply();
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

  private ReplyEffect<Event, State> notFound(ActorRef<StatusReply<View>> replyTo) {
    return reject(
        replyTo, Rejection.NOT_FOUND, "participant " + participantId + " is not registered");
  }

  private ReplyEffect<Event, State> stoodDown(ActorRef<StatusReply<View>> replyTo, String what) {
    return reject(
        replyTo,
        Rejection.CONFLICT,
        "participant " + participantId + " has stood down; " + what + " is not possible");
  }

  private ReplyEffect<Event, State> ignore(CheckLiveness tick) {
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> view(State state, ActorRef<StatusReply<View>> replyTo) {
    return Effect().reply(replyTo, viewReply(state));
  }

  private StatusReply<View> viewReply(State state) {
    return StatusReply.success(((Enrolled) state).view());
  }

  private ReplyEffect<Event, State> reject(
      ActorRef<StatusReply<View>> replyTo, String code, String message) {
    return Effect().reply(replyTo, Rejection.reply(code, message));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    var builder = newEventHandlerBuilder();
    builder.forStateType(Unregistered.class).onEvent(Registered.class, Enrolled::of);
    builder
        .forStateType(Enrolled.class)
        .onEvent(HeartbeatRecorded.class, (state, event) -> state.heartbeat(event.at()))
        .onEvent(DrainStarted.class, (state, event) -> state.withStatus(Status.DRAINING))
        .onEvent(StoodDown.class, (state, event) -> state.withStatus(Status.STOOD_DOWN))
        .onEvent(WentOffline.class, (state, event) -> state.withStatus(Status.OFFLINE))
        .onEvent(Updated.class, Enrolled::update);
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
