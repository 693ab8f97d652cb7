package dev.muster.registry.participant;

import com.fasterxml.jackson.annotation.JsonCreator;
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
 * A participant of the swarm: who it is (workspace, kind, roles, capabilities), what it may do
 * (grants, boundaries: capacity, budget scope, trust zone), where its failures go (escalation),
 * what its runtime declares (capability manifest), and where it is in its lifecycle. Changes of
 * what it may do, drains and stand-downs record who asked ({@code actor}) and when.
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

  /** Who a participant's failures escalate to, and after how many failed attempts. */
  public record Escalation(Optional<String> escalateTo, int afterAttempts)
      implements CborSerializable {
    public static final Escalation NONE = new Escalation(Optional.empty(), 0);

    public Escalation {
      escalateTo = escalateTo == null ? Optional.empty() : escalateTo;
    }

    Optional<String> problem() {
      if (escalateTo.isPresent()) {
        if (escalateTo.get().isBlank()) {
          return Optional.of("escalation.escalate_to must not be blank");
        }
        if (afterAttempts < 1) {
          return Optional.of("escalation.after_attempts must be at least 1");
        }
      } else if (afterAttempts != 0) {
        return Optional.of("escalation.after_attempts needs escalation.escalate_to");
      }
      return Optional.empty();
    }
  }

  /**
   * What a participant's runtime declares about itself. A capability written {@code
   * name:approval_required} (e.g. {@code shell:approval_required}) is one whose use needs a
   * person's approval.
   */
  public record CapabilityManifest(
      Optional<String> executionMode, Optional<String> trustZone, Set<String> capabilities)
      implements CborSerializable {
    public static final String APPROVAL_REQUIRED = ":approval_required";
    public static final CapabilityManifest NONE =
        new CapabilityManifest(Optional.empty(), Optional.empty(), Set.of());

    public CapabilityManifest {
      executionMode = executionMode == null ? Optional.empty() : executionMode;
      trustZone = trustZone == null ? Optional.empty() : trustZone;
      capabilities = NameSet.of(capabilities);
    }

    /** The capability names, without the approval marker. */
    public Set<String> names() {
      return NameSet.of(capabilities.stream().map(CapabilityManifest::name).toList());
    }

    /** The capabilities marked {@code :approval_required}, by name. */
    public Set<String> approvalRequired() {
      return NameSet.of(
          capabilities.stream()
              .filter(c -> c.endsWith(APPROVAL_REQUIRED))
              .map(CapabilityManifest::name)
              .toList());
    }

    private static String name(String capability) {
      return capability.endsWith(APPROVAL_REQUIRED)
          ? capability.substring(0, capability.length() - APPROVAL_REQUIRED.length())
          : capability;
    }

    Optional<String> problem() {
      if (capabilities.stream().anyMatch(c -> name(c).isBlank())) {
        return Optional.of("capability_manifest.capabilities must not be blank");
      }
      if (executionMode.map(String::isBlank).orElse(false)
          || trustZone.map(String::isBlank).orElse(false)) {
        return Optional.of(
            "capability_manifest.execution_mode and trust_zone must not be blank when given");
      }
      return Optional.empty();
    }
  }

  /**
   * What a participant declares when it joins. Fields added after the first release ({@code grants}
   * onwards) are optional in stored events: a missing one reads as empty.
   */
  public record Registration(
      String workspace,
      Kind kind,
      Set<String> roles,
      Set<String> capabilities,
      int maxConcurrentAttempts,
      Set<String> grants,
      Optional<String> budgetScope,
      Optional<String> trustZone,
      Escalation escalation,
      CapabilityManifest manifest)
      implements CborSerializable {
    @JsonCreator
    public Registration {
      roles = NameSet.of(roles);
      capabilities = NameSet.of(capabilities);
      grants = NameSet.of(grants);
      budgetScope = budgetScope == null ? Optional.empty() : budgetScope;
      trustZone = trustZone == null ? Optional.empty() : trustZone;
      escalation = escalation == null ? Escalation.NONE : escalation;
      manifest = manifest == null ? CapabilityManifest.NONE : manifest;
    }

    /** A registration with no grants, boundaries beyond capacity, escalation or manifest. */
    public Registration(
        String workspace,
        Kind kind,
        Set<String> roles,
        Set<String> capabilities,
        int maxConcurrentAttempts) {
      this(
          workspace,
          kind,
          roles,
          capabilities,
          maxConcurrentAttempts,
          Set.of(),
          Optional.empty(),
          Optional.empty(),
          Escalation.NONE,
          CapabilityManifest.NONE);
    }

    Optional<String> problem() {
      if (workspace == null || workspace.isBlank()) {
        return Optional.of("workspace is required");
      }
      if (kind == null) {
        return Optional.of("kind is required");
      }
      return Changes.NONE
          .withRoles(roles)
          .withCapabilities(capabilities)
          .withMaxConcurrentAttempts(maxConcurrentAttempts)
          .withGrants(grants)
          .withBudgetScope(budgetScope)
          .withTrustZone(trustZone)
          .withEscalation(escalation)
          .withManifest(manifest)
          .problem();
    }

    Registration with(Changes changes) {
      return new Registration(
          workspace,
          kind,
          changes.roles().orElse(roles),
          changes.capabilities().orElse(capabilities),
          changes.maxConcurrentAttempts().orElse(maxConcurrentAttempts),
          changes.grants().orElse(grants),
          changes.budgetScope().or(() -> budgetScope),
          changes.trustZone().or(() -> trustZone),
          changes.escalation().orElse(escalation),
          changes.manifest().orElse(manifest));
    }
  }

  /**
   * A change of what a participant may do: each present field replaces the current value, an empty
   * one leaves it as it is (a budget scope or trust zone can be changed, not removed).
   */
  public record Changes(
      Optional<Set<String>> roles,
      Optional<Set<String>> capabilities,
      Optional<Integer> maxConcurrentAttempts,
      Optional<Set<String>> grants,
      Optional<String> budgetScope,
      Optional<String> trustZone,
      Optional<Escalation> escalation,
      Optional<CapabilityManifest> manifest)
      implements CborSerializable {
    public static final Changes NONE =
        new Changes(
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty());

    public Changes {
      roles = roles == null ? Optional.empty() : roles.map(NameSet::of);
      capabilities = capabilities == null ? Optional.empty() : capabilities.map(NameSet::of);
      maxConcurrentAttempts =
          maxConcurrentAttempts == null ? Optional.empty() : maxConcurrentAttempts;
      grants = grants == null ? Optional.empty() : grants.map(NameSet::of);
      budgetScope = budgetScope == null ? Optional.empty() : budgetScope;
      trustZone = trustZone == null ? Optional.empty() : trustZone;
      escalation = escalation == null ? Optional.empty() : escalation;
      manifest = manifest == null ? Optional.empty() : manifest;
    }

    public Changes withRoles(Set<String> value) {
      return new Changes(
          Optional.of(value),
          capabilities,
          maxConcurrentAttempts,
          grants,
          budgetScope,
          trustZone,
          escalation,
          manifest);
    }

    public Changes withCapabilities(Set<String> value) {
      return new Changes(
          roles,
          Optional.of(value),
          maxConcurrentAttempts,
          grants,
          budgetScope,
          trustZone,
          escalation,
          manifest);
    }

    public Changes withMaxConcurrentAttempts(int value) {
      return new Changes(
          roles,
          capabilities,
          Optional.of(value),
          grants,
          budgetScope,
          trustZone,
          escalation,
          manifest);
    }

    public Changes withGrants(Set<String> value) {
      return new Changes(
          roles,
          capabilities,
          maxConcurrentAttempts,
          Optional.of(value),
          budgetScope,
          trustZone,
          escalation,
          manifest);
    }

    public Changes withBudgetScope(Optional<String> value) {
      return new Changes(
          roles,
          capabilities,
          maxConcurrentAttempts,
          grants,
          value,
          trustZone,
          escalation,
          manifest);
    }

    public Changes withTrustZone(Optional<String> value) {
      return new Changes(
          roles,
          capabilities,
          maxConcurrentAttempts,
          grants,
          budgetScope,
          value,
          escalation,
          manifest);
    }

    public Changes withEscalation(Escalation value) {
      return new Changes(
          roles,
          capabilities,
          maxConcurrentAttempts,
          grants,
          budgetScope,
          trustZone,
          Optional.of(value),
          manifest);
    }

    public Changes withManifest(CapabilityManifest value) {
      return new Changes(
          roles,
          capabilities,
          maxConcurrentAttempts,
          grants,
          budgetScope,
          trustZone,
          escalation,
          Optional.of(value));
    }

    public boolean isEmpty() {
      return equals(NONE);
    }

    Optional<String> problem() {
      if (roles.map(NameSet::hasBlank).orElse(false)
          || capabilities.map(NameSet::hasBlank).orElse(false)) {
        return Optional.of("roles and capabilities must not be blank");
      }
      if (grants.map(NameSet::hasBlank).orElse(false)) {
        return Optional.of("grants must not be blank");
      }
      if (maxConcurrentAttempts.map(value -> value < 1).orElse(false)) {
        return Optional.of("max_concurrent_attempts must be at least 1");
      }
      if (budgetScope.map(String::isBlank).orElse(false)
          || trustZone.map(String::isBlank).orElse(false)) {
        return Optional.of("budget_scope and trust_zone must not be blank when given");
      }
      return escalation
          .flatMap(Escalation::problem)
          .or(() -> manifest.flatMap(CapabilityManifest::problem));
    }

    /** Only the fields that differ from {@code current}. */
    Changes relativeTo(Registration current) {
      return new Changes(
          roles.filter(value -> !value.equals(current.roles())),
          capabilities.filter(value -> !value.equals(current.capabilities())),
          maxConcurrentAttempts.filter(value -> value != current.maxConcurrentAttempts()),
          grants.filter(value -> !value.equals(current.grants())),
          budgetScope.filter(value -> !Optional.of(value).equals(current.budgetScope())),
          trustZone.filter(value -> !Optional.of(value).equals(current.trustZone())),
          escalation.filter(value -> !value.equals(current.escalation())),
          manifest.filter(value -> !value.equals(current.manifest())));
    }
  }

  /** What GET shows; {@code status} reads offline once the liveness window has passed. */
  public record View(
      String id,
      String workspace,
      Kind kind,
      Status status,
      Set<String> roles,
      Set<String> capabilities,
      int maxConcurrentAttempts,
      Instant registeredAt,
      Optional<Instant> lastHeartbeat,
      Set<String> grants,
      Optional<String> budgetScope,
      Optional<String> trustZone,
      Escalation escalation,
      CapabilityManifest manifest,
      Optional<String> standDownReason)
      implements CborSerializable {
    public View {
      lastHeartbeat = lastHeartbeat == null ? Optional.empty() : lastHeartbeat;
      budgetScope = budgetScope == null ? Optional.empty() : budgetScope;
      trustZone = trustZone == null ? Optional.empty() : trustZone;
      standDownReason = standDownReason == null ? Optional.empty() : standDownReason;
    }

    /** The capabilities whose use needs approval (marked so in the manifest). */
    public Set<String> approvalRequired() {
      return manifest.approvalRequired();
    }
  }

  public sealed interface Command extends CborSerializable {}

  public record Register(Registration registration, ActorRef<StatusReply<View>> replyTo)
      implements Command {}

  public record Get(ActorRef<StatusReply<View>> replyTo) implements Command {}

  public record Heartbeat(ActorRef<StatusReply<View>> replyTo) implements Command {}

  /** {@code actor} is who asks (recorded in the event); null when unknown. */
  public record Drain(String actor, ActorRef<StatusReply<View>> replyTo) implements Command {
    public Drain(ActorRef<StatusReply<View>> replyTo) {
      this(null, replyTo);
    }
  }

  public record StandDown(String reason, String actor, ActorRef<StatusReply<View>> replyTo)
      implements Command {
    public StandDown(String reason, ActorRef<StatusReply<View>> replyTo) {
      this(reason, null, replyTo);
    }
  }

  /** Changes what is present in {@code changes}, on behalf of {@code actor}. */
  public record Update(Changes changes, String actor, ActorRef<StatusReply<View>> replyTo)
      implements Command {
    public Update {
      changes = changes == null ? Changes.NONE : changes;
    }
  }

  /** The liveness timer's tick; local only. */
  enum CheckLiveness implements Command {
    INSTANCE
  }

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

    public DrainStarted(String participantId, Instant at) {
      this(participantId, at, Optional.empty());
    }
  }

  public record StoodDown(String participantId, String reason, Instant at, Optional<String> actor)
      implements Event {
    @JsonCreator
    public StoodDown {
      actor = actor == null ? Optional.empty() : actor;
    }

    public StoodDown(String participantId, String reason, Instant at) {
      this(participantId, reason, at, Optional.empty());
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
      Optional<Escalation> escalation,
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

    /**
     * The state after one event: the same transitions as the entity's event handler, for read
     * models (the capability index) that fold the same events.
     */
    public Enrolled apply(Event event) {
      if (event instanceof HeartbeatRecorded e) {
        return heartbeat(e.at());
      }
      if (event instanceof DrainStarted) {
        return withStatus(Status.DRAINING);
      }
      if (event instanceof StoodDown e) {
        return standDown(e);
      }
      if (event instanceof WentOffline) {
        return withStatus(Status.OFFLINE);
      }
      if (event instanceof Updated e) {
        return update(e);
      }
      return this;
    }

    /** A heartbeat brings an offline participant back; draining stays draining. */
    Enrolled heartbeat(Instant at) {
      Status next = status == Status.OFFLINE ? Status.ACTIVE : status;
      Optional<Instant> last =
          lastHeartbeat.filter(previous -> previous.isAfter(at)).or(() -> Optional.of(at));
      return new Enrolled(id, registration, next, registeredAt, last, standDownReason);
    }

    Enrolled withStatus(Status next) {
      return new Enrolled(id, registration, next, registeredAt, lastHeartbeat, standDownReason);
    }

    Enrolled standDown(StoodDown event) {
      return new Enrolled(
          id,
          registration,
          Status.STOOD_DOWN,
          registeredAt,
          lastHeartbeat,
          Optional.of(event.reason()));
    }

    Enrolled update(Updated event) {
      return new Enrolled(
          id,
          registration.with(event.changes()),
          status,
          registeredAt,
          lastHeartbeat,
          standDownReason);
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

    public View view() {
      return viewWith(status);
    }

    /** The view with the status as of {@code now} ({@link #statusAt}). */
    public View viewAt(Instant now, Duration livenessWindow) {
      return viewWith(statusAt(now, livenessWindow));
    }

    private View viewWith(Status shown) {
      return new View(
          id,
          registration.workspace(),
          registration.kind(),
          shown,
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
        .persist(new DrainStarted(participantId, clock.instant(), actor(command.actor())))
        .thenRun(this::armLiveness)
        .thenReply(command.replyTo(), this::viewReply);
  }

  private ReplyEffect<Event, State> standDown(Enrolled state, StandDown command) {
    String reason = command.reason() == null ? "" : command.reason().trim();
    if (reason.isEmpty()) {
      return reject(command.replyTo(), Rejection.INVALID, "a stand-down needs a reason");
    }
    return Effect()
        .persist(new StoodDown(participantId, reason, clock.instant(), actor(command.actor())))
        .thenRun(this::armLiveness)
        .thenReply(command.replyTo(), this::viewReply);
  }

  private ReplyEffect<Event, State> update(Enrolled state, Update command) {
    Optional<String> problem = command.changes().problem();
    if (problem.isPresent()) {
      return reject(command.replyTo(), Rejection.INVALID, problem.get());
    }
    Changes changes = command.changes().relativeTo(state.registration());
    if (changes.isEmpty()) {
      return view(state, command.replyTo());
    }
    return Effect()
        .persist(Updated.of(participantId, changes, actor(command.actor()), clock.instant()))
        .thenReply(command.replyTo(), this::viewReply);
  }

  private static Optional<String> actor(String actor) {
    return actor == null || actor.isBlank() ? Optional.empty() : Optional.of(actor);
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
    return StatusReply.success(
        ((Enrolled) state).viewAt(clock.instant(), settings.livenessWindow()));
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
        .onEvent(StoodDown.class, Enrolled::standDown)
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
