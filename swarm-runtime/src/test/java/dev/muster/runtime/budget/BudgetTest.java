package dev.muster.runtime.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.muster.config.Caller;
import dev.muster.config.Rejection;
import dev.muster.config.money.Amount;
import dev.muster.runtime.budget.Budget.Active;
import dev.muster.runtime.budget.Budget.Command;
import dev.muster.runtime.budget.Budget.Commit;
import dev.muster.runtime.budget.Budget.CommitResult;
import dev.muster.runtime.budget.Budget.Denied;
import dev.muster.runtime.budget.Budget.Event;
import dev.muster.runtime.budget.Budget.Get;
import dev.muster.runtime.budget.Budget.Granted;
import dev.muster.runtime.budget.Budget.LedgerEntry;
import dev.muster.runtime.budget.Budget.Release;
import dev.muster.runtime.budget.Budget.ReleaseResult;
import dev.muster.runtime.budget.Budget.Reserve;
import dev.muster.runtime.budget.Budget.ReserveResult;
import dev.muster.runtime.budget.Budget.SetLimit;
import dev.muster.runtime.budget.Budget.State;
import dev.muster.runtime.budget.Budget.Summary;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BudgetTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-11-21T12:00:00Z"), ZoneOffset.UTC);

  @JUnit5TestKit
  ActorTestKit testKit =
      new JUnit5TestKitBuilder()
          .withCustomConfig(
              ConfigFactory.parseString("pekko.actor.provider = local")
                  .withFallback(EventSourcedBehaviorTestKit.config())
                  .withFallback(ConfigFactory.load()))
          .build();

  private static final Caller OPS = Caller.unconfined("ops");

  private final AtomicInteger scopes = new AtomicInteger();

  private static BudgetSettings settings(String... overrides) {
    Config config = ConfigFactory.empty();
    for (String override : overrides) {
      config = ConfigFactory.parseString("muster.budget." + override).withFallback(config);
    }
    return BudgetSettings.from(config.withFallback(ConfigFactory.load()).resolve());
  }

  private EventSourcedBehaviorTestKit<Command, Event, State> budget(BudgetSettings settings) {
    return EventSourcedBehaviorTestKit.create(
        testKit.system(),
        Budget.create("ws-" + scopes.incrementAndGet(), settings, CLOCK),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true));
  }

  private EventSourcedBehaviorTestKit<Command, Event, State> budget() {
    return budget(settings());
  }

  private static Amount u(long units) {
    return Amount.units(units);
  }

  static StatusReply<Summary> setLimit(
      EventSourcedBehaviorTestKit<Command, Event, State> kit, Amount limit) {
    return kit.<StatusReply<Summary>>runCommand(r -> new SetLimit(limit, Optional.empty(), OPS, r))
        .reply();
  }

  static ReserveResult reserve(
      EventSourcedBehaviorTestKit<Command, Event, State> kit, String key, Amount amount) {
    return kit.<StatusReply<ReserveResult>>runCommand(
            r -> new Reserve(key, amount, "m-" + key, "ws", r))
        .reply()
        .getValue();
  }

  static StatusReply<CommitResult> commit(
      EventSourcedBehaviorTestKit<Command, Event, State> kit, String key, Amount actual) {
    return kit.<StatusReply<CommitResult>>runCommand(r -> new Commit(key, actual, r)).reply();
  }

  static StatusReply<ReleaseResult> release(
      EventSourcedBehaviorTestKit<Command, Event, State> kit, String key) {
    return kit.<StatusReply<ReleaseResult>>runCommand(r -> new Release(key, r)).reply();
  }

  static Rejection.Code code(StatusReply<?> reply) {
    return ((Rejection.Refusal) reply.getError()).rejection().code();
  }

  static Summary get(EventSourcedBehaviorTestKit<Command, Event, State> kit) {
    return kit.<StatusReply<Summary>>runCommand(r -> new Get(OPS, r)).reply().getValue();
  }

  @Test
  void anUnsetBudgetIsUnknownAndDeniesReservations() {
    var kit = budget();
    var got = kit.<StatusReply<Summary>>runCommand(r -> new Get(OPS, r)).reply();
    assertEquals(Rejection.Code.NOT_FOUND, code(got));
    Denied denied = assertInstanceOf(Denied.class, reserve(kit, "k", u(1)));
    assertTrue(denied.reason().contains("no budget"), denied.reason());
    assertTrue(kit.getState() instanceof Budget.Unset);
  }

  @Test
  void reserveCommitReleaseWithALedger() {
    var kit = budget();
    assertEquals(u(100), setLimit(kit, u(100)).getValue().limit());
    assertEquals(new Granted("a", u(30), u(70), false), reserve(kit, "a", u(30)));
    assertEquals(new Granted("b", u(50), u(20), false), reserve(kit, "b", u(50)));
    Denied denied = assertInstanceOf(Denied.class, reserve(kit, "c", u(21)));
    assertEquals(u(20), denied.remaining());
    CommitResult committed = commit(kit, "a", u(25)).getValue();
    assertEquals(u(25), committed.charged());
    assertEquals(u(25), committed.remaining());
    assertFalse(committed.exhausted());
    ReleaseResult released = release(kit, "b").getValue();
    assertEquals(u(50), released.released());
    Summary summary = get(kit);
    assertEquals(u(25), summary.committed());
    assertEquals(Amount.ZERO, summary.reserved());
    assertEquals(u(75), summary.remaining());
    assertEquals(
        List.of(
            LedgerEntry.Kind.LIMIT_SET,
            LedgerEntry.Kind.RESERVED,
            LedgerEntry.Kind.RESERVED,
            LedgerEntry.Kind.COMMITTED,
            LedgerEntry.Kind.RELEASED),
        summary.ledger().stream().map(LedgerEntry::kind).toList());
    LedgerEntry commitLine = summary.ledger().get(3);
    assertEquals("a", commitLine.key());
    assertEquals("m-a", commitLine.missionId());
    assertEquals(CLOCK.instant(), commitLine.at());
  }

  @Test
  void everyCommandIsIdempotentByKeyAndRepeatsPersistNothing() {
    var kit = budget();
    setLimit(kit, u(10));
    reserve(kit, "a", u(4));
    var again =
        kit.<StatusReply<ReserveResult>>runCommand(r -> new Reserve("a", u(4), "m-a", "ws", r));
    assertTrue(again.hasNoEvents());
    assertEquals(new Granted("a", u(4), u(6), true), again.reply().getValue());

    commit(kit, "a", u(3));
    var commitAgain = kit.<StatusReply<CommitResult>>runCommand(r -> new Commit("a", u(3), r));
    assertTrue(commitAgain.hasNoEvents());
    assertTrue(commitAgain.reply().getValue().duplicate());
    assertEquals(u(3), commitAgain.reply().getValue().charged());
    var reserveAfterCommit =
        kit.<StatusReply<ReserveResult>>runCommand(r -> new Reserve("a", u(4), "m-a", "ws", r));
    assertTrue(reserveAfterCommit.hasNoEvents());
    assertTrue(((Granted) reserveAfterCommit.reply().getValue()).duplicate());

    reserve(kit, "b", u(2));
    release(kit, "b");
    var releaseAgain = kit.<StatusReply<ReleaseResult>>runCommand(r -> new Release("b", r));
    assertTrue(releaseAgain.hasNoEvents());
    assertTrue(releaseAgain.reply().getValue().duplicate());

    var sameLimit =
        kit.<StatusReply<Summary>>runCommand(r -> new SetLimit(u(10), Optional.empty(), OPS, r));
    assertTrue(sameLimit.hasNoEvents());
    assertEquals(u(7), get(kit).remaining());
  }

  @Test
  void aReleaseBeforeItsReserveKeepsTheLateReserveOut() {
    var kit = budget();
    setLimit(kit, u(10));
    assertEquals(Amount.ZERO, release(kit, "late").getValue().released());
    Denied denied = assertInstanceOf(Denied.class, reserve(kit, "late", u(1)));
    assertTrue(denied.reason().contains("released"), denied.reason());
    assertEquals(u(10), get(kit).remaining());
  }

  @Test
  void conflictingSettlementsAreRefused() {
    var kit = budget();
    setLimit(kit, u(10));
    reserve(kit, "a", u(1));
    commit(kit, "a", u(1));
    assertEquals(Rejection.Code.CONFLICT, code(release(kit, "a")));
    reserve(kit, "b", u(1));
    release(kit, "b");
    assertEquals(Rejection.Code.CONFLICT, code(commit(kit, "b", u(1))));
    assertEquals(Rejection.Code.NOT_FOUND, code(commit(kit, "never", u(1))));
  }

  @Test
  void aCommitBeyondTheLimitIsCappedAndRecordedAsOverage() {
    var kit = budget();
    setLimit(kit, u(10));
    reserve(kit, "a", u(4));
    reserve(kit, "b", u(3));
    CommitResult result = commit(kit, "a", u(12)).getValue();
    assertEquals(u(7), result.charged(), "its 4 plus the 3 that were free");
    assertEquals(u(5), result.overage());
    assertTrue(result.exhausted());
    Summary summary = get(kit);
    assertEquals(u(7), summary.committed());
    assertEquals(u(3), summary.reserved());
    assertEquals(u(5), summary.overage());
    assertEquals(u(5), summary.ledger().get(summary.ledger().size() - 1).overage());
    assertInstanceOf(Denied.class, reserve(kit, "c", u(1)));
  }

  @Test
  void theLimitCanBeRaisedButNotLoweredBelowWhatIsUsed() {
    var kit = budget();
    setLimit(kit, u(10));
    reserve(kit, "a", u(6));
    var lower =
        kit.<StatusReply<Summary>>runCommand(r -> new SetLimit(u(5), Optional.empty(), OPS, r));
    assertTrue(lower.hasNoEvents());
    Rejection refusal = ((Rejection.Refusal) lower.reply().getError()).rejection();
    assertEquals(Rejection.Code.CONFLICT, refusal.code());
    assertTrue(refusal.message().contains("6 reserved"), refusal.message());
    assertEquals(u(6), setLimit(kit, u(6)).getValue().limit());
    assertEquals(u(20), setLimit(kit, u(20)).getValue().limit());
  }

  @Test
  void invalidCommandsAreRefused() {
    var kit = budget();
    setLimit(kit, u(10));
    var zero =
        kit.<StatusReply<ReserveResult>>runCommand(
            r -> new Reserve("a", Amount.ZERO, "m", "ws", r));
    assertEquals(Rejection.Code.INVALID_REQUEST, code(zero.reply()));
    var blank =
        kit.<StatusReply<ReserveResult>>runCommand(r -> new Reserve(" ", u(1), "m", "ws", r));
    assertEquals(Rejection.Code.INVALID_REQUEST, code(blank.reply()));
    assertTrue(zero.hasNoEvents() && blank.hasNoEvents());
  }

  @Test
  void theStateSurvivesARestartAndTheLedgerStaysBounded() {
    var kit = budget(settings("ledger-in-state = 3", "snapshot-every = 2"));
    setLimit(kit, u(100));
    reserve(kit, "a", u(10));
    commit(kit, "a", u(10));
    reserve(kit, "b", u(20));
    Summary before = get(kit);
    assertEquals(3, before.ledger().size());
    kit.restart();
    Summary after = get(kit);
    assertEquals(before, after);
    assertEquals(u(70), after.remaining());
    assertTrue(commit(kit, "a", u(10)).getValue().duplicate(), "keys are remembered");
  }

  @Test
  void everyReplyCrossesTheWire() {
    var kit = budget();
    setLimit(kit, u(10));
    List<Object> replies =
        List.of(
            reserve(kit, "a", u(4)),
            reserve(kit, "b", u(40)),
            commit(kit, "a", u(5)).getValue(),
            release(kit, "x").getValue(),
            get(kit));
    for (Object reply : replies) {
      testKit.serializationTestKit().verifySerialization(reply, true);
    }
  }

  /**
   * Random sequences of every command, many reusing keys, against the real entity: after each, the
   * invariant holds and the numbers match the open reservations.
   */
  @Test
  void theInvariantHoldsUnderRandomSequences() {
    for (long seed = 1; seed <= 20; seed++) {
      Random random = new Random(seed);
      var kit = budget(settings("remember-settled-keys = 5", "ledger-in-state = 5"));
      setLimit(kit, u(50));
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        keys.add("k" + i);
      }
      for (int step = 0; step < 150; step++) {
        String key = keys.get(random.nextInt(keys.size()));
        Amount amount = new Amount(random.nextInt(20_000_000));
        switch (random.nextInt(6)) {
          case 0, 1 ->
              kit.<StatusReply<ReserveResult>>runCommand(
                  r -> new Reserve(key, amount, "m", "ws", r));
          case 2 ->
              kit.<StatusReply<CommitResult>>runCommand(
                  r -> new Commit(key, new Amount(random.nextInt(40_000_000)), r));
          case 3 -> kit.<StatusReply<ReleaseResult>>runCommand(r -> new Release(key, r));
          case 4 ->
              kit.<StatusReply<Summary>>runCommand(
                  r ->
                      new SetLimit(
                          new Amount(random.nextInt(80_000_000)), Optional.empty(), OPS, r));
          default -> keys.add("k" + keys.size());
        }
        Active state = (Active) kit.getState();
        assertTrue(
            state.account().consistent(),
            "seed " + seed + " step " + step + ": " + state.account());
      }
      if (seed % 10 == 0) {
        Active before = (Active) kit.getState();
        kit.restart();
        assertEquals(before, kit.getState(), "seed " + seed + ": the same after recovery");
      }
    }
  }

  @Test
  void aBudgetOfAWorkspaceIsSeenChangedAndDrawnOnOnlyFromThatWorkspace() {
    var kit = budget();
    Caller ws1 = Caller.in("ws-1", "alice");
    Caller ws2 = Caller.in("ws-2", "mallory");
    var squat = kit.<StatusReply<Summary>>runCommand(r -> new SetLimit(u(10), of("ws-1"), ws2, r));
    assertEquals(Rejection.Code.NOT_FOUND, code(squat.reply()), "ws-2 cannot make ws-1's budget");
    assertTrue(squat.hasNoEvents());
    kit.<StatusReply<Summary>>runCommand(r -> new SetLimit(u(10), Optional.empty(), ws1, r))
        .reply()
        .getValue();
    assertEquals(of("ws-1"), get(kit).workspace(), "a confined caller's budget is its own");
    assertEquals(
        Rejection.Code.NOT_FOUND,
        code(kit.<StatusReply<Summary>>runCommand(r -> new Get(ws2, r)).reply()));
    var raise =
        kit.<StatusReply<Summary>>runCommand(r -> new SetLimit(u(1000), Optional.empty(), ws2, r));
    assertEquals(Rejection.Code.NOT_FOUND, code(raise.reply()));
    assertTrue(raise.hasNoEvents());
    var moved = kit.<StatusReply<Summary>>runCommand(r -> new SetLimit(u(10), of("ws-2"), OPS, r));
    assertEquals(Rejection.Code.CONFLICT, code(moved.reply()), "not even an operator moves it");
    ReserveResult stolen =
        kit.<StatusReply<ReserveResult>>runCommand(r -> new Reserve("k", u(1), "m", "ws-2", r))
            .reply()
            .getValue();
    assertInstanceOf(Denied.class, stolen);
    ReserveResult own =
        kit.<StatusReply<ReserveResult>>runCommand(r -> new Reserve("k", u(1), "m", "ws-1", r))
            .reply()
            .getValue();
    assertInstanceOf(Granted.class, own);
  }

  @Test
  void aBudgetOfNoWorkspaceIsAnOperatorsWhichNoConfinedCallerCanSeeOrTakeOver() {
    var kit = budget();
    setLimit(kit, u(10));
    Caller ws2 = Caller.in("ws-2", "mallory");
    assertEquals(
        Rejection.Code.NOT_FOUND,
        code(kit.<StatusReply<Summary>>runCommand(r -> new Get(ws2, r)).reply()));
    var claim =
        kit.<StatusReply<Summary>>runCommand(r -> new SetLimit(u(10), Optional.empty(), ws2, r));
    assertEquals(Rejection.Code.NOT_FOUND, code(claim.reply()));
    assertTrue(claim.hasNoEvents());
    assertEquals(Optional.empty(), get(kit).workspace());
    assertInstanceOf(Granted.class, reserve(kit, "k", u(1)), "any workspace may draw on it");
    var assigned =
        kit.<StatusReply<Summary>>runCommand(r -> new SetLimit(u(10), of("ws-1"), OPS, r));
    assertEquals(of("ws-1"), assigned.reply().getValue().workspace(), "an operator assigns it");
    assertEquals(
        "k",
        assertInstanceOf(Granted.class, reserve(kit, "k", u(1))).key(),
        "a repeated reservation is answered as before, whoever owns the budget now");
    assertInstanceOf(Denied.class, reserve(kit, "k2", u(1)), "now only ws-1 draws on it");
    kit.restart();
    assertEquals(of("ws-1"), get(kit).workspace());
  }

  private static Optional<String> of(String workspace) {
    return Optional.of(workspace);
  }

  @Test
  void overagesBeyondWhatALongCanHoldAreReportedAsTheMostItCan() {
    var kit = budget();
    for (int i = 0; i < 12; i++) {
      setLimit(kit, u(i + 1));
      reserve(kit, "k" + i, u(1));
      assertTrue(commit(kit, "k" + i, Amount.MAX).getValue().exhausted());
    }
    Summary before = get(kit);
    assertEquals(new Amount(Long.MAX_VALUE), before.overage());
    kit.restart();
    assertEquals(before, get(kit));
  }

  @Test
  void aFailingCommandIsAnsweredAndTheBudgetGoesOnServingItsNumbers() {
    var kit =
        EventSourcedBehaviorTestKit.<Command, Event, State>create(
            testKit.system(),
            Budget.create("ws-broken", settings(), new BreakingClock()),
            EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true));
    setLimit(kit, u(10));
    BreakingClock.broken = true;
    var failed =
        kit.<StatusReply<ReserveResult>>runCommand(r -> new Reserve("k", u(1), "m", "ws", r));
    assertEquals(Rejection.Code.INTERNAL_ERROR, code(failed.reply()));
    assertTrue(failed.hasNoEvents());
    assertEquals(u(10), get(kit).remaining());
    assertInstanceOf(Granted.class, reserve(kit, "k", u(1)));
  }

  /** A clock whose next reading throws while {@code broken}; then it heals. */
  private static final class BreakingClock extends Clock {
    static volatile boolean broken;

    @Override
    public Instant instant() {
      if (broken) {
        broken = false;
        throw new IllegalStateException("the test broke the clock");
      }
      return CLOCK.instant();
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
