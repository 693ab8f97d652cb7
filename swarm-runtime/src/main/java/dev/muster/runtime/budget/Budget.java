package dev.muster.runtime.budget;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.muster.config.Caller;
import dev.muster.config.CborSerializable;
import dev.muster.config.Rejection;
import dev.muster.config.entity.Guarded;
import dev.muster.config.entity.Replying;
import dev.muster.config.money.Amount;
import dev.muster.runtime.budget.BudgetAccount.Settlement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
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
 * One budget, sharded by scope ({@code "ws-1"}, {@code "mission:m-1"}, {@code "participant:p-1"}):
 * a limit, reservations, commitments, and the ledger of who did what for which mission. One entity
 * per scope is the one writer of its numbers, so {@code committed + reserved <= limit} holds across
 * nodes; the arithmetic is {@link BudgetAccount}'s.
 *
 * <p>Every command is idempotent by its key: a repeated reserve, commit or release answers as the
 * first did (flagged {@code duplicate}, with the current remainder) and persists nothing. A denied
 * reservation persists nothing either, so the same key may be granted later (after a raise). A
 * release of a key that was never reserved is recorded, so a reserve that arrives after its own
 * release (a retry overtaken by the release) is denied instead of leaking a reservation.
 *
 * <p>A budget belongs to the workspace of the caller that first set its limit: a caller confined to
 * another workspace finds nothing (not found), and a reservation for another workspace's mission is
 * denied, so no workspace spends another's budget. (A budget whose limit was set before budgets had
 * a workspace belongs to none: any caller sees it, and the next limit set claims it.)
 *
 * <p>The state keeps the last {@code ledger-in-state} ledger entries; the journal keeps all.
 */
public final class Budget
    extends EventSourcedBehaviorWithEnforcedReplies<Budget.Command, Budget.Event, Budget.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "Budget");

  /** Every budget event carries this tag, for the read side. */
  public static final String TAG = "budget";

  // Replies

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "result")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = Granted.class, name = "granted"),
    @JsonSubTypes.Type(value = Denied.class, name = "denied")
  })
  public sealed interface ReserveResult extends CborSerializable {}

  public record Granted(String key, Amount amount, Amount remaining, boolean duplicate)
      implements ReserveResult {}

  /** Nothing was reserved: why, and what could have been. */
  public record Denied(String key, String reason, Amount remaining) implements ReserveResult {}

  /**
   * A reservation settled by a commit: {@code charged} was added to committed; {@code overage} is
   * what was reported beyond what the budget could take (see {@link BudgetAccount}). {@code
   * exhausted}: nothing is left, or the usage did not fit.
   */
  public record CommitResult(
      String key,
      String missionId,
      Amount reserved,
      Amount charged,
      Amount overage,
      Amount remaining,
      boolean exhausted,
      boolean duplicate)
      implements CborSerializable {}

  public record ReleaseResult(
      String key, String missionId, Amount released, Amount remaining, boolean duplicate)
      implements CborSerializable {}

  public record Summary(
      String scope,
      Optional<String> workspace,
      Amount limit,
      Amount reserved,
      Amount committed,
      Amount overage,
      Amount remaining,
      List<LedgerEntry> ledger)
      implements CborSerializable {
    public Summary {
      ledger = List.copyOf(ledger);
    }
  }

  /**
   * One line of the ledger; {@code amount} is the limit, reservation, charge or release; {@code by}
   * who set a limit (the token subject; empty for entries of other kinds and of older releases).
   */
  public record LedgerEntry(
      long seq,
      Kind kind,
      String key,
      String missionId,
      Amount amount,
      Amount overage,
      Instant at,
      Optional<String> by)
      implements CborSerializable {
    @JsonCreator
    public LedgerEntry {
      by = by == null ? Optional.empty() : by;
    }

    public enum Kind {
      LIMIT_SET,
      RESERVED,
      COMMITTED,
      RELEASED
    }
  }

  // Commands

  public sealed interface Command extends CborSerializable {}

  /**
   * Sets the limit (PUT semantics) of a budget of {@code workspace} (empty: a budget of no
   * workspace, which only unconfined callers see and every workspace's missions may draw on);
   * refused when below what is committed and reserved, when the budget belongs to a workspace the
   * caller cannot see, or when it belongs to another workspace than {@code workspace}.
   */
  public record SetLimit(
      Amount limit,
      Optional<String> workspace,
      Caller caller,
      ActorRef<StatusReply<Summary>> replyTo)
      implements Command, Replying<Summary> {
    public SetLimit {
      workspace = workspace == null ? Optional.empty() : workspace;
    }
  }

  /**
   * Reserves {@code amount} under {@code key} for {@code missionId} of {@code workspace}; denied
   * when the budget belongs to another workspace.
   */
  public record Reserve(
      String key,
      Amount amount,
      String missionId,
      String workspace,
      ActorRef<StatusReply<ReserveResult>> replyTo)
      implements Command, Replying<ReserveResult> {}

  /** Settles the reservation {@code key} with the {@code actual} usage. */
  public record Commit(String key, Amount actual, ActorRef<StatusReply<CommitResult>> replyTo)
      implements Command, Replying<CommitResult> {}

  /** Gives the reservation {@code key} back, unused. */
  public record Release(String key, ActorRef<StatusReply<ReleaseResult>> replyTo)
      implements Command, Replying<ReleaseResult> {}

  public record Get(Caller caller, ActorRef<StatusReply<Summary>> replyTo)
      implements Command, Replying<Summary> {}

  // Events

  public sealed interface Event extends CborSerializable {}

  /**
   * The limit, set by {@code by} (the token subject) as a caller of {@code workspace} (empty:
   * unconfined); both empty in events of older releases.
   */
  public record LimitSet(Amount limit, Instant at, Optional<String> workspace, Optional<String> by)
      implements Event {
    @JsonCreator
    public LimitSet {
      workspace = workspace == null ? Optional.empty() : workspace;
      by = by == null ? Optional.empty() : by;
    }
  }

  public record AmountReserved(String key, String missionId, Amount amount, Instant at)
      implements Event {}

  public record ReservationCommitted(String key, Settlement outcome, Instant at) implements Event {}

  public record ReservationReleased(String key, Settlement outcome, Instant at) implements Event {}

  // State

  public sealed interface State extends CborSerializable {}

  /** No limit was ever set for this scope. */
  public enum Unset implements State {
    INSTANCE
  }

  public record Active(
      String scope,
      BudgetAccount account,
      long lastSeq,
      List<LedgerEntry> recentLedger,
      Optional<String> workspace)
      implements State {
    @JsonCreator
    public Active {
      recentLedger = List.copyOf(recentLedger);
      workspace = workspace == null ? Optional.empty() : workspace;
    }

    /**
     * Whether {@code caller} may see this budget: a budget of a workspace, callers of that
     * workspace and unconfined ones; a budget of no workspace, unconfined callers only.
     */
    boolean visibleTo(Caller caller) {
      return workspace.map(caller::sees).orElse(caller.workspace().isEmpty());
    }

    Summary summary() {
      return new Summary(
          scope,
          workspace,
          account.limit(),
          account.reserved(),
          account.committed(),
          account.overage(),
          account.remaining(),
          recentLedger);
    }

    Active with(
        BudgetAccount next,
        LedgerEntry.Kind kind,
        String key,
        String mission,
        Amount amount,
        Amount overage,
        Instant at,
        Optional<String> by,
        int keep) {
      List<LedgerEntry> ledger = new ArrayList<>(recentLedger);
      ledger.add(new LedgerEntry(lastSeq + 1, kind, key, mission, amount, overage, at, by));
      List<LedgerEntry> bounded = ledger.subList(Math.max(0, ledger.size() - keep), ledger.size());
      return new Active(scope, next, lastSeq + 1, bounded, workspace);
    }

    Active ownedBy(Optional<String> owner) {
      return owner.isEmpty() || workspace.isPresent()
          ? this
          : new Active(scope, account, lastSeq, recentLedger, owner);
    }

    /** Why {@code owner} cannot be this budget's workspace, if it cannot. */
    Optional<String> refuseOwner(Optional<String> owner) {
      return workspace.isPresent() && owner.isPresent() && !owner.equals(workspace)
          ? Optional.of("budget " + scope + " belongs to workspace " + workspace.get())
          : Optional.empty();
    }
  }

  // Behavior

  private final String scope;
  private final BudgetSettings settings;
  private final Clock clock;

  private final Logger log;

  private Budget(String scope, BudgetSettings settings, Clock clock, Logger log) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), scope), settings.persistFailure());
    this.scope = scope;
    this.settings = settings;
    this.clock = clock;
    this.log = log;
  }

  public static Behavior<Command> create(String scope, BudgetSettings settings, Clock clock) {
    return Behaviors.setup(context -> new Budget(scope, settings, clock, context.getLog()));
  }

  /** Starts sharding of budgets (entity id = scope) on this node. */
  public static void init(ActorSystem<?> system, BudgetSettings settings, Clock clock) {
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_TYPE_KEY, ctx -> create(ctx.getEntityId(), settings, clock)));
  }

  @Override
  public State emptyState() {
    return Unset.INSTANCE;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return settings.retention();
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(TAG);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var builder = newCommandHandlerWithReplyBuilder();
    builder
        .forStateType(Unset.class)
        .onCommand(SetLimit.class, this::setFirstLimit)
        .onCommand(Reserve.class, this::reserveUnset)
        .onCommand(Commit.class, (s, c) -> Effect().reply(c.replyTo(), unknown()))
        .onCommand(Release.class, (s, c) -> Effect().reply(c.replyTo(), unknown()))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), unknown()));
    builder
        .forStateType(Active.class)
        .onCommand(SetLimit.class, this::setLimit)
        .onCommand(Reserve.class, this::reserve)
        .onCommand(Commit.class, this::commit)
        .onCommand(Release.class, this::release)
        .onCommand(Get.class, this::get);
    return Guarded.commands(builder.build(), Effect(), log, "budget " + scope);
  }

  private ReplyEffect<Event, State> get(Active state, Get command) {
    return Effect()
        .reply(
            command.replyTo(),
            state.visibleTo(command.caller()) ? StatusReply.success(state.summary()) : unknown());
  }

  private ReplyEffect<Event, State> setFirstLimit(Unset state, SetLimit command) {
    if (command.limit() == null) {
      return Effect().reply(command.replyTo(), Rejection.invalid("limit is required").reply());
    }
    Optional<String> owner = requestedOwner(command);
    if (!owner.map(command.caller()::sees).orElse(true)) {
      return Effect().reply(command.replyTo(), unknown());
    }
    return Effect()
        .persist(
            new LimitSet(
                command.limit(), clock.instant(), owner, Optional.of(command.caller().actor())))
        .thenReply(command.replyTo(), s -> StatusReply.success(((Active) s).summary()));
  }

  /**
   * A new limit; a budget of no workspace (set so by an operator, or by a release before budgets
   * had one) is given the workspace an operator names. Only unconfined callers see such a budget,
   * so a confined caller can never take one over.
   */
  private ReplyEffect<Event, State> setLimit(Active state, SetLimit command) {
    if (!state.visibleTo(command.caller())) {
      return Effect().reply(command.replyTo(), unknown());
    }
    if (command.limit() == null) {
      return Effect().reply(command.replyTo(), Rejection.invalid("limit is required").reply());
    }
    Optional<String> owner = requestedOwner(command);
    var refusal = state.refuseOwner(owner).or(() -> state.account().refuseLimit(command.limit()));
    if (refusal.isPresent()) {
      return Effect().reply(command.replyTo(), Rejection.conflict(refusal.get()).reply());
    }
    boolean claims = state.workspace().isEmpty() && owner.isPresent();
    if (command.limit().equals(state.account().limit()) && !claims) {
      return Effect().reply(command.replyTo(), StatusReply.success(state.summary()));
    }
    return Effect()
        .persist(
            new LimitSet(
                command.limit(), clock.instant(), owner, Optional.of(command.caller().actor())))
        .thenReply(command.replyTo(), s -> StatusReply.success(((Active) s).summary()));
  }

  /** The workspace a limit is set for: the one named, else a confined caller's own. */
  private static Optional<String> requestedOwner(SetLimit command) {
    return command.workspace().or(() -> command.caller().workspace());
  }

  private ReplyEffect<Event, State> reserveUnset(Unset state, Reserve command) {
    return Effect()
        .reply(
            command.replyTo(),
            StatusReply.success(
                new Denied(command.key(), "no budget is set for scope " + scope, Amount.ZERO)));
  }

  private ReplyEffect<Event, State> reserve(Active state, Reserve command) {
    String invalid = invalidKey(command.key());
    if (invalid == null && (command.amount() == null || command.amount().isZero())) {
      invalid = "amount must be positive";
    }
    if (invalid != null) {
      return Effect().reply(command.replyTo(), Rejection.invalid(invalid).reply());
    }
    BudgetAccount account = state.account();
    String key = command.key();
    var open = account.open().get(key);
    if (open != null) {
      return Effect()
          .reply(
              command.replyTo(),
              StatusReply.success(new Granted(key, open.amount(), account.remaining(), true)));
    }
    Settlement settled = account.settled().get(key);
    if (settled != null) {
      ReserveResult again =
          settled.reserved().isZero()
              ? new Denied(
                  key, "key " + key + " was released before it was reserved", account.remaining())
              : new Granted(key, settled.reserved(), account.remaining(), true);
      return Effect().reply(command.replyTo(), StatusReply.success(again));
    }
    if (state.workspace().filter(w -> !w.equals(command.workspace())).isPresent()) {
      return Effect()
          .reply(
              command.replyTo(),
              StatusReply.success(
                  new Denied(
                      key,
                      "budget "
                          + scope
                          + " belongs to another workspace than "
                          + command.workspace()
                          + "'s",
                      Amount.ZERO)));
    }
    if (!account.fits(command.amount())) {
      String reason =
          "budget "
              + scope
              + " has "
              + account.remaining()
              + " left of "
              + account.limit()
              + "; "
              + command.amount()
              + " was asked";
      return Effect()
          .reply(
              command.replyTo(), StatusReply.success(new Denied(key, reason, account.remaining())));
    }
    String mission = command.missionId() == null ? "" : command.missionId();
    return Effect()
        .persist(new AmountReserved(key, mission, command.amount(), clock.instant()))
        .thenReply(
            command.replyTo(),
            s ->
                StatusReply.success(
                    new Granted(key, command.amount(), ((Active) s).account().remaining(), false)));
  }

  private ReplyEffect<Event, State> commit(Active state, Commit command) {
    String invalid = invalidKey(command.key());
    if (invalid == null && command.actual() == null) {
      invalid = "actual is required";
    }
    if (invalid != null) {
      return Effect().reply(command.replyTo(), Rejection.invalid(invalid).reply());
    }
    BudgetAccount account = state.account();
    String key = command.key();
    Settlement settled = account.settled().get(key);
    if (settled != null) {
      if (settled.kind() == Settlement.Kind.COMMITTED) {
        return Effect()
            .reply(
                command.replyTo(), StatusReply.success(commitResult(key, settled, account, true)));
      }
      return Effect()
          .reply(
              command.replyTo(),
              Rejection.conflict("reservation " + key + " was released").reply());
    }
    if (!account.open().containsKey(key)) {
      return Effect()
          .reply(
              command.replyTo(),
              Rejection.notFound("budget " + scope + " has no reservation " + key).reply());
    }
    Settlement outcome = account.commitOutcome(key, command.actual());
    return Effect()
        .persist(new ReservationCommitted(key, outcome, clock.instant()))
        .thenReply(
            command.replyTo(),
            s -> StatusReply.success(commitResult(key, outcome, ((Active) s).account(), false)));
  }

  private ReplyEffect<Event, State> release(Active state, Release command) {
    String invalid = invalidKey(command.key());
    if (invalid != null) {
      return Effect().reply(command.replyTo(), Rejection.invalid(invalid).reply());
    }
    BudgetAccount account = state.account();
    String key = command.key();
    Settlement settled = account.settled().get(key);
    if (settled != null) {
      if (settled.kind() == Settlement.Kind.RELEASED) {
        return Effect()
            .reply(
                command.replyTo(),
                StatusReply.success(
                    new ReleaseResult(
                        key, settled.missionId(), settled.reserved(), account.remaining(), true)));
      }
      return Effect()
          .reply(
              command.replyTo(),
              Rejection.conflict("reservation " + key + " was committed").reply());
    }
    Settlement outcome = account.releaseOutcome(key);
    return Effect()
        .persist(new ReservationReleased(key, outcome, clock.instant()))
        .thenReply(
            command.replyTo(),
            s ->
                StatusReply.success(
                    new ReleaseResult(
                        key,
                        outcome.missionId(),
                        outcome.reserved(),
                        ((Active) s).account().remaining(),
                        false)));
  }

  private static CommitResult commitResult(
      String key, Settlement outcome, BudgetAccount account, boolean duplicate) {
    boolean exhausted = !outcome.overage().isZero() || account.remaining().isZero();
    return new CommitResult(
        key,
        outcome.missionId(),
        outcome.reserved(),
        outcome.charged(),
        outcome.overage(),
        account.remaining(),
        exhausted,
        duplicate);
  }

  private static String invalidKey(String key) {
    return key == null || key.isBlank() ? "key is required" : null;
  }

  private <T> StatusReply<T> unknown() {
    return Rejection.notFound("no budget is set for scope " + scope).reply();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    var builder = newEventHandlerBuilder();
    builder
        .forStateType(Unset.class)
        .onEvent(
            LimitSet.class,
            (s, e) ->
                new Active(scope, BudgetAccount.withLimit(e.limit()), 0, List.of(), e.workspace())
                    .with(
                        BudgetAccount.withLimit(e.limit()),
                        LedgerEntry.Kind.LIMIT_SET,
                        "",
                        "",
                        e.limit(),
                        Amount.ZERO,
                        e.at(),
                        e.by(),
                        settings.ledgerInState()));
    builder
        .forStateType(Active.class)
        .onEvent(LimitSet.class, this::onLimitSet)
        .onEvent(AmountReserved.class, this::onReserved)
        .onEvent(ReservationCommitted.class, this::onCommitted)
        .onEvent(ReservationReleased.class, this::onReleased);
    return builder.build();
  }

  private State onLimitSet(Active state, LimitSet event) {
    return state
        .ownedBy(event.workspace())
        .with(
            state.account().setLimit(event.limit()),
            LedgerEntry.Kind.LIMIT_SET,
            "",
            "",
            event.limit(),
            Amount.ZERO,
            event.at(),
            event.by(),
            settings.ledgerInState());
  }

  private State onReserved(Active state, AmountReserved event) {
    return state.with(
        state.account().reserve(event.key(), event.amount(), event.missionId()),
        LedgerEntry.Kind.RESERVED,
        event.key(),
        event.missionId(),
        event.amount(),
        Amount.ZERO,
        event.at(),
        Optional.empty(),
        settings.ledgerInState());
  }

  private State onCommitted(Active state, ReservationCommitted event) {
    Settlement outcome = event.outcome();
    return state.with(
        state.account().settle(event.key(), outcome, settings.rememberSettledKeys()),
        LedgerEntry.Kind.COMMITTED,
        event.key(),
        outcome.missionId(),
        outcome.charged(),
        outcome.overage(),
        event.at(),
        Optional.empty(),
        settings.ledgerInState());
  }

  private State onReleased(Active state, ReservationReleased event) {
    Settlement outcome = event.outcome();
    return state.with(
        state.account().settle(event.key(), outcome, settings.rememberSettledKeys()),
        LedgerEntry.Kind.RELEASED,
        event.key(),
        outcome.missionId(),
        outcome.reserved(),
        Amount.ZERO,
        event.at(),
        Optional.empty(),
        settings.ledgerInState());
  }
}
