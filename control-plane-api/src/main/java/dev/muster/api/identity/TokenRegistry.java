package dev.muster.api.identity;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.muster.config.Caller;
import dev.muster.config.CborSerializable;
import dev.muster.config.Rejection;
import dev.muster.config.entity.Guarded;
import dev.muster.config.entity.Replying;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.slf4j.Logger;

/**
 * The record of every token Muster minted (its {@code jti} and what it says, never the token
 * itself), of revocations (by {@code jti} and by subject) and of registered devices: one entity for
 * the cluster, so that listing and revoking are consistent. Every node follows its events ({@link
 * AccessView}, tag {@value #TAG}) to refuse revoked tokens without asking it on every request.
 *
 * <p>A caller confined to a workspace sees and revokes only its workspace's tokens and devices;
 * another workspace's answer not found. A subject is revoked as a whole within a workspace (or, by
 * an operator, everywhere): every token of it issued until then (by issue time; a token minted in
 * the same second as the revocation is refused too).
 *
 * <p>The state is owned by this entity alone and changed in place by the event handler (a copy per
 * event would cost every mint the size of the registry); replies are immutable copies.
 */
public final class TokenRegistry
    extends EventSourcedBehaviorWithEnforcedReplies<
        TokenRegistry.Command, TokenRegistry.Event, TokenRegistry.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "TokenRegistry");

  /** The one entity's id. */
  static final String ID = "tokens";

  /** Every event carries this tag, for {@link AccessView}. */
  public static final String TAG = "access";

  // Records

  /** A minted token as it is stored and listed: never the token itself. */
  public record TokenRecord(
      String jti,
      String subject,
      String kind,
      Optional<String> workspace,
      List<String> scopes,
      Instant issuedAt,
      Instant expiresAt,
      String issuedBy,
      Optional<Instant> revokedAt)
      implements CborSerializable {
    @JsonCreator
    public TokenRecord {
      workspace = workspace == null ? Optional.empty() : workspace;
      scopes = List.copyOf(scopes);
      revokedAt = revokedAt == null ? Optional.empty() : revokedAt;
    }

    public static TokenRecord of(Principal principal, String issuedBy) {
      return new TokenRecord(
          principal.jti(),
          principal.subject(),
          principal.kind().wire(),
          principal.workspace(),
          principal.scopes().stream().map(s -> s.wire()).sorted().toList(),
          principal.issuedAt(),
          principal.expiresAt(),
          issuedBy,
          Optional.empty());
    }

    TokenRecord revoked(Instant at) {
      return revokedAt.isPresent()
          ? this
          : new TokenRecord(
              jti,
              subject,
              kind,
              workspace,
              scopes,
              issuedAt,
              expiresAt,
              issuedBy,
              Optional.of(at));
    }

    boolean visibleTo(Caller caller) {
      return workspace.map(caller::sees).orElse(caller.workspace().isEmpty());
    }
  }

  /** A registered phone of a workspace, with its human name. */
  public record Device(
      String workspace, String deviceId, String name, String registeredBy, Instant at)
      implements CborSerializable {
    public String subject() {
      return Devices.subject(workspace, deviceId);
    }
  }

  /** A page of tokens in {@code jti} order; {@code continueAfter} when there may be more. */
  public record Page(List<TokenRecord> tokens, Optional<String> continueAfter)
      implements CborSerializable {
    public Page {
      tokens = List.copyOf(tokens);
    }
  }

  /**
   * Every token of {@code subject} in {@code workspace} (empty: anywhere) issued until {@code at}
   * is refused; {@code tokens} of them were minted by Muster.
   */
  public record SubjectRevocation(
      String subject, Optional<String> workspace, Instant at, int tokens)
      implements CborSerializable {}

  // Commands

  public sealed interface Command extends CborSerializable {}

  /** Records a token minted just now, before it is handed out. */
  public record Issue(TokenRecord token, ActorRef<StatusReply<TokenRecord>> replyTo)
      implements Command, Replying<TokenRecord> {}

  public record Revoke(String jti, Caller caller, ActorRef<StatusReply<TokenRecord>> replyTo)
      implements Command, Replying<TokenRecord> {}

  /**
   * Revokes {@code subject} in {@code workspace} (empty: in every workspace, and as an operator); a
   * confined caller revokes in its own workspace only, whatever it asks.
   */
  public record RevokeSubject(
      String subject,
      Optional<String> workspace,
      Caller caller,
      ActorRef<StatusReply<SubjectRevocation>> replyTo)
      implements Command, Replying<SubjectRevocation> {}

  public record ListTokens(
      Caller caller,
      Optional<String> workspace,
      Optional<String> subject,
      Optional<String> after,
      int limit,
      ActorRef<StatusReply<Page>> replyTo)
      implements Command, Replying<Page> {}

  public record RegisterDevice(
      String workspace,
      String deviceId,
      String name,
      Caller caller,
      ActorRef<StatusReply<Device>> replyTo)
      implements Command, Replying<Device> {}

  public record ListDevices(
      Caller caller, Optional<String> workspace, ActorRef<StatusReply<List<Device>>> replyTo)
      implements Command, Replying<List<Device>> {}

  // Events

  public sealed interface Event extends CborSerializable {}

  public record TokenIssued(TokenRecord token) implements Event {}

  public record TokenRevoked(String jti, String by, Instant at) implements Event {}

  /**
   * The tokens of {@code subject} issued until {@code at} are revoked: in {@code workspace}, or,
   * when empty, wherever they are. A subject names someone only within a workspace (two workspaces
   * may each have a session "ci"), so a workspace revokes only its own.
   */
  public record SubjectRevoked(String subject, Optional<String> workspace, String by, Instant at)
      implements Event {
    @JsonCreator
    public SubjectRevoked {
      workspace = workspace == null ? Optional.empty() : workspace;
    }

    /** Whether this revocation reaches a token of {@code subject} in {@code tokenWorkspace}. */
    public boolean reaches(String tokenSubject, Optional<String> tokenWorkspace) {
      return subject.equals(tokenSubject)
          && (workspace.isEmpty() || workspace.equals(tokenWorkspace));
    }
  }

  public record DeviceRegistered(Device device) implements Event {}

  // State

  /** Tokens by {@code jti} (in order, for paging), devices by subject. */
  public record State(TreeMap<String, TokenRecord> tokens, TreeMap<String, Device> devices)
      implements CborSerializable {
    @JsonCreator
    public State {
      tokens = tokens == null ? new TreeMap<>() : tokens;
      devices = devices == null ? new TreeMap<>() : devices;
    }

    static State empty() {
      return new State(new TreeMap<>(), new TreeMap<>());
    }
  }

  // Behavior

  private final Clock clock;
  private final Logger log;

  private TokenRegistry(AuthSettings settings, Clock clock, Logger log) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), ID), settings.persistFailure());
    this.clock = clock;
    this.log = log;
  }

  public static Behavior<Command> create(AuthSettings settings, Clock clock) {
    return Behaviors.setup(context -> new TokenRegistry(settings, clock, context.getLog()));
  }

  /** Starts sharding of the registry on this node. */
  public static void init(ActorSystem<?> system, AuthSettings settings, Clock clock) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_TYPE_KEY, ctx -> create(settings, clock)));
  }

  /** The registry, from anywhere in the cluster. */
  public static EntityRef<Command> ref(ActorSystem<?> system) {
    return ClusterSharding.get(system).entityRefFor(ENTITY_TYPE_KEY, ID);
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(500, 2);
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(TAG);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var builder = newCommandHandlerWithReplyBuilder();
    builder
        .forAnyState()
        .onCommand(Issue.class, this::issue)
        .onCommand(Revoke.class, this::revoke)
        .onCommand(RevokeSubject.class, this::revokeSubject)
        .onCommand(ListTokens.class, this::list)
        .onCommand(RegisterDevice.class, this::registerDevice)
        .onCommand(ListDevices.class, this::listDevices);
    return Guarded.commands(builder.build(), Effect(), log, "the token registry");
  }

  private ReplyEffect<Event, State> issue(State state, Issue command) {
    TokenRecord existing = state.tokens().get(command.token().jti());
    if (existing != null) {
      return Effect().reply(command.replyTo(), StatusReply.success(existing));
    }
    return Effect()
        .persist(new TokenIssued(command.token()))
        .thenReply(command.replyTo(), s -> StatusReply.success(command.token()));
  }

  private ReplyEffect<Event, State> revoke(State state, Revoke command) {
    TokenRecord token = state.tokens().get(command.jti());
    if (token == null || !token.visibleTo(command.caller())) {
      return Guarded.refuse(
          Effect(), command, Rejection.notFound("token " + command.jti() + " does not exist"));
    }
    if (token.revokedAt().isPresent()) {
      return Effect().reply(command.replyTo(), StatusReply.success(token));
    }
    return Effect()
        .persist(new TokenRevoked(command.jti(), command.caller().actor(), clock.instant()))
        .thenReply(command.replyTo(), s -> StatusReply.success(s.tokens().get(command.jti())));
  }

  /**
   * Revokes every token of a subject issued until now: a confined caller's in its own workspace
   * only (so no workspace can lock out anyone of another), an operator's in the workspace it names
   * or everywhere, also a subject of an external identity provider that Muster never minted for.
   */
  private ReplyEffect<Event, State> revokeSubject(State state, RevokeSubject command) {
    Caller caller = command.caller();
    Optional<String> workspace = caller.workspace().or(command::workspace);
    Instant now = clock.instant();
    SubjectRevoked revoked = new SubjectRevoked(command.subject(), workspace, caller.actor(), now);
    int tokens =
        (int)
            state.tokens().values().stream()
                .filter(t -> revoked.reaches(t.subject(), t.workspace()))
                .count();
    return Effect()
        .persist(revoked)
        .thenReply(
            command.replyTo(),
            s ->
                StatusReply.success(
                    new SubjectRevocation(command.subject(), workspace, now, tokens)));
  }

  private ReplyEffect<Event, State> list(State state, ListTokens command) {
    var from =
        command.after().isPresent()
            ? state.tokens().tailMap(command.after().get(), false)
            : state.tokens();
    List<TokenRecord> page =
        from.values().stream()
            .filter(t -> t.visibleTo(command.caller()))
            .filter(
                t ->
                    command.workspace().map(w -> t.workspace().equals(Optional.of(w))).orElse(true))
            .filter(t -> command.subject().map(t.subject()::equals).orElse(true))
            .limit(command.limit() + 1L)
            .toList();
    boolean more = page.size() > command.limit();
    List<TokenRecord> shown = more ? page.subList(0, command.limit()) : page;
    return Effect()
        .reply(
            command.replyTo(),
            StatusReply.success(
                new Page(
                    shown,
                    more ? Optional.of(shown.get(shown.size() - 1).jti()) : Optional.empty())));
  }

  private ReplyEffect<Event, State> registerDevice(State state, RegisterDevice command) {
    if (!command.caller().sees(command.workspace())) {
      return Guarded.refuse(
          Effect(),
          command,
          Rejection.of(
              Rejection.Code.FORBIDDEN,
              "workspace " + command.workspace() + " is not the caller's workspace"));
    }
    String subject = Devices.subject(command.workspace(), command.deviceId());
    Device existing = state.devices().get(subject);
    if (existing != null && existing.name().equals(command.name())) {
      return Effect().reply(command.replyTo(), StatusReply.success(existing));
    }
    Device device =
        new Device(
            command.workspace(),
            command.deviceId(),
            command.name(),
            command.caller().actor(),
            clock.instant());
    return Effect()
        .persist(new DeviceRegistered(device))
        .thenReply(command.replyTo(), s -> StatusReply.success(device));
  }

  private ReplyEffect<Event, State> listDevices(State state, ListDevices command) {
    List<Device> devices =
        state.devices().values().stream()
            .filter(d -> command.caller().sees(d.workspace()))
            .filter(d -> command.workspace().map(d.workspace()::equals).orElse(true))
            .toList();
    return Effect().reply(command.replyTo(), StatusReply.success(devices));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onAnyEvent(
            (state, event) -> {
              apply(state, event);
              return state;
            });
  }

  /** What an event changes. */
  private static void apply(State state, Event event) {
    if (event instanceof TokenIssued issued) {
      state.tokens().put(issued.token().jti(), issued.token());
    } else if (event instanceof TokenRevoked revoked) {
      state.tokens().computeIfPresent(revoked.jti(), (jti, t) -> t.revoked(revoked.at()));
    } else if (event instanceof SubjectRevoked revoked) {
      state
          .tokens()
          .replaceAll(
              (jti, t) ->
                  revoked.reaches(t.subject(), t.workspace()) && !t.issuedAt().isAfter(revoked.at())
                      ? t.revoked(revoked.at())
                      : t);
    } else if (event instanceof DeviceRegistered registered) {
      state.devices().put(registered.device().subject(), registered.device());
    }
  }
}
