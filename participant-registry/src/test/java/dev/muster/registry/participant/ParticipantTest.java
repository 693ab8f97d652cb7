package dev.muster.registry.participant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.config.Rejection;
import dev.muster.registry.MutableClock;
import dev.muster.registry.RegistrySettings;
import dev.muster.registry.RegistryTestConfig;
import dev.muster.registry.participant.Participant.Command;
import dev.muster.registry.participant.Participant.Drain;
import dev.muster.registry.participant.Participant.DrainStarted;
import dev.muster.registry.participant.Participant.Enrolled;
import dev.muster.registry.participant.Participant.Event;
import dev.muster.registry.participant.Participant.Get;
import dev.muster.registry.participant.Participant.Heartbeat;
import dev.muster.registry.participant.Participant.HeartbeatRecorded;
import dev.muster.registry.participant.Participant.Kind;
import dev.muster.registry.participant.Participant.Register;
import dev.muster.registry.participant.Participant.Registered;
import dev.muster.registry.participant.Participant.Registration;
import dev.muster.registry.participant.Participant.StandDown;
import dev.muster.registry.participant.Participant.State;
import dev.muster.registry.participant.Participant.Status;
import dev.muster.registry.participant.Participant.StoodDown;
import dev.muster.registry.participant.Participant.Update;
import dev.muster.registry.participant.Participant.Updated;
import dev.muster.registry.participant.Participant.View;
import dev.muster.registry.participant.Participant.WentOffline;
import dev.muster.testing.Eventually;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ParticipantTest {
  private static final Instant START = Instant.parse("2026-11-21T12:00:00Z");
  private static final Registration WORKER =
      new Registration("ws-1", Kind.FLEET_WORKER, Set.of("builder"), Set.of("java", "maven"), 2);

  @JUnit5TestKit
  ActorTestKit testKit =
      new JUnit5TestKitBuilder().withCustomConfig(RegistryTestConfig.entityTestKit()).build();

  private final AtomicInteger ids = new AtomicInteger();
  private MutableClock clock;

  @BeforeEach
  void freshClock() {
    clock = new MutableClock(START);
  }

  private EventSourcedBehaviorTestKit<Command, Event, State> participant(
      RegistrySettings settings) {
    return EventSourcedBehaviorTestKit.create(
        testKit.system(),
        Participant.create("p-" + ids.incrementAndGet(), settings, clock),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true));
  }

  private EventSourcedBehaviorTestKit<Command, Event, State> participant() {
    return participant(RegistryTestConfig.settings());
  }

  private EventSourcedBehaviorTestKit<Command, Event, State> registered() {
    var kit = participant();
    run(kit, replyTo -> new Register(WORKER, replyTo));
    return kit;
  }

  private static CommandResultWithReply<Command, Event, State, StatusReply<View>> run(
      EventSourcedBehaviorTestKit<Command, Event, State> kit,
      Function<ActorRef<StatusReply<View>>, Command> command) {
    return kit.runCommand(command);
  }

  private static void assertRejected(
      CommandResultWithReply<Command, Event, State, StatusReply<View>> result, String code) {
    assertTrue(result.reply().isError(), "expected a rejection, got " + result.reply());
    assertEquals(code, Rejection.parse(result.reply().getError().getMessage()).code());
    assertTrue(result.hasNoEvents(), "a rejected command persists nothing");
  }

  @Test
  void registerPersistsRegisteredAndRepliesTheView() {
    var kit = participant();
    var result = run(kit, replyTo -> new Register(WORKER, replyTo));
    Registered event = result.eventOfType(Registered.class);
    assertEquals(WORKER, event.registration());
    assertEquals(START, event.at());
    View view = result.reply().getValue();
    assertEquals(Status.ACTIVE, view.status());
    assertEquals("ws-1", view.workspace());
    assertEquals(Set.of("java", "maven"), view.capabilities());
    assertEquals(START, view.registeredAt());
    assertEquals(Optional.empty(), view.lastHeartbeat());
    assertEquals(view, run(kit, Get::new).reply().getValue());
  }

  @Test
  void theSameRegistrationAgainIsIdempotent() {
    var kit = registered();
    View first = run(kit, Get::new).reply().getValue();
    clock.advance(Duration.ofMinutes(1));
    var again = run(kit, replyTo -> new Register(WORKER, replyTo));
    assertTrue(again.hasNoEvents());
    assertEquals(first, again.reply().getValue());
  }

  @Test
  void aDifferentRegistrationIsAConflict() {
    var kit = registered();
    Registration other =
        new Registration("ws-1", Kind.FLEET_WORKER, Set.of("builder"), Set.of("java"), 2);
    assertRejected(run(kit, replyTo -> new Register(other, replyTo)), Rejection.CONFLICT);
  }

  @Test
  void anInvalidRegistrationIsRejected() {
    List<Registration> invalid =
        List.of(
            new Registration(" ", Kind.FLEET_WORKER, Set.of(), Set.of(), 1),
            new Registration("ws", null, Set.of(), Set.of(), 1),
            new Registration("ws", Kind.REVIEWER, Set.of(""), Set.of(), 1),
            new Registration("ws", Kind.REVIEWER, Set.of(), Set.of(" "), 1),
            new Registration("ws", Kind.REVIEWER, Set.of(), Set.of(), 0));
    var kit = participant();
    for (Registration registration : invalid) {
      assertRejected(run(kit, replyTo -> new Register(registration, replyTo)), Rejection.INVALID);
    }
    assertEquals(Participant.Unregistered.INSTANCE, kit.getState());
  }

  @Test
  void everyCommandOnAnUnknownParticipantIsNotFound() {
    var kit = participant();
    assertRejected(run(kit, Get::new), Rejection.NOT_FOUND);
    assertRejected(run(kit, Heartbeat::new), Rejection.NOT_FOUND);
    assertRejected(run(kit, Drain::new), Rejection.NOT_FOUND);
    assertRejected(run(kit, replyTo -> new StandDown("done", replyTo)), Rejection.NOT_FOUND);
    assertRejected(
        run(
            kit,
            replyTo -> new Update(Optional.empty(), Optional.empty(), Optional.of(3), replyTo)),
        Rejection.NOT_FOUND);
  }

  @Test
  void heartbeatsAreRecordedAtMostOncePerInterval() {
    var kit = registered();
    clock.advance(Duration.ofSeconds(1));
    var first = run(kit, Heartbeat::new);
    assertEquals(START.plusSeconds(1), first.eventOfType(HeartbeatRecorded.class).at());
    assertEquals(Optional.of(START.plusSeconds(1)), first.reply().getValue().lastHeartbeat());

    clock.advance(Duration.ofSeconds(5));
    var withinInterval = run(kit, Heartbeat::new);
    assertTrue(withinInterval.hasNoEvents());
    assertEquals(
        Optional.of(START.plusSeconds(1)), withinInterval.reply().getValue().lastHeartbeat());

    clock.advance(Duration.ofSeconds(5));
    var afterInterval = run(kit, Heartbeat::new);
    assertEquals(START.plusSeconds(11), afterInterval.eventOfType(HeartbeatRecorded.class).at());
  }

  @Test
  void drainMovesAnActiveParticipantToDrainingOnce() {
    var kit = registered();
    var drained = run(kit, Drain::new);
    drained.eventOfType(DrainStarted.class);
    assertEquals(Status.DRAINING, drained.reply().getValue().status());
    var again = run(kit, Drain::new);
    assertTrue(again.hasNoEvents());
    assertEquals(Status.DRAINING, again.reply().getValue().status());

    clock.advance(Duration.ofSeconds(1));
    var heartbeat = run(kit, Heartbeat::new);
    assertEquals(Status.DRAINING, heartbeat.reply().getValue().status());
  }

  @Test
  void standDownIsFinal() {
    var kit = registered();
    assertRejected(run(kit, replyTo -> new StandDown(" ", replyTo)), Rejection.INVALID);
    var stood = run(kit, replyTo -> new StandDown("budget exhausted", replyTo));
    assertEquals("budget exhausted", stood.eventOfType(StoodDown.class).reason());
    assertEquals(Status.STOOD_DOWN, stood.reply().getValue().status());

    assertRejected(run(kit, Heartbeat::new), Rejection.CONFLICT);
    assertRejected(run(kit, Drain::new), Rejection.CONFLICT);
    assertRejected(
        run(
            kit,
            replyTo -> new Update(Optional.empty(), Optional.empty(), Optional.of(5), replyTo)),
        Rejection.CONFLICT);
    var again = run(kit, replyTo -> new StandDown("again", replyTo));
    assertTrue(again.hasNoEvents());
    assertEquals(Status.STOOD_DOWN, again.reply().getValue().status());
    assertEquals(Status.STOOD_DOWN, run(kit, Get::new).reply().getValue().status());
  }

  @Test
  void updateRecordsOnlyWhatChanged() {
    var kit = registered();
    var result =
        run(
            kit,
            replyTo ->
                new Update(
                    Optional.of(Set.of("builder")),
                    Optional.of(Set.of("java", "gradle")),
                    Optional.of(4),
                    replyTo));
    Updated updated = result.eventOfType(Updated.class);
    assertEquals(Optional.empty(), updated.roles());
    assertEquals(Optional.of(Set.of("gradle", "java")), updated.capabilities());
    assertEquals(Optional.of(4), updated.maxConcurrentAttempts());
    View view = result.reply().getValue();
    assertEquals(Set.of("gradle", "java"), view.capabilities());
    assertEquals(4, view.maxConcurrentAttempts());

    var unchanged =
        run(
            kit,
            replyTo ->
                new Update(
                    Optional.of(Set.of("builder")), Optional.empty(), Optional.of(4), replyTo));
    assertTrue(unchanged.hasNoEvents());
    assertRejected(
        run(
            kit,
            replyTo -> new Update(Optional.empty(), Optional.empty(), Optional.of(0), replyTo)),
        Rejection.INVALID);
    assertRejected(
        run(
            kit,
            replyTo ->
                new Update(Optional.of(Set.of("")), Optional.empty(), Optional.empty(), replyTo)),
        Rejection.INVALID);
  }

  @Test
  void goesOfflineWithoutHeartbeatsAndComesBackWithOne() {
    var kit =
        participant(
            RegistryTestConfig.settings(
                "liveness-window = 300ms", "heartbeat-record-interval = 100ms"));
    run(kit, replyTo -> new Register(WORKER, replyTo));
    clock.advance(Duration.ofSeconds(1));
    Eventually.assertWithin(
        Duration.ofSeconds(5),
        () -> assertEquals(Status.OFFLINE, run(kit, Get::new).reply().getValue().status()));
    assertEquals(Status.OFFLINE, ((Enrolled) kit.getState()).status());

    var back = run(kit, Heartbeat::new);
    back.eventOfType(HeartbeatRecorded.class);
    assertEquals(Status.ACTIVE, back.reply().getValue().status());

    clock.advance(Duration.ofSeconds(1));
    Eventually.assertWithin(
        Duration.ofSeconds(5),
        () -> assertEquals(Status.OFFLINE, run(kit, Get::new).reply().getValue().status()));
    var drained = run(kit, Drain::new);
    drained.eventOfType(DrainStarted.class);
    assertEquals(Status.DRAINING, drained.reply().getValue().status());
  }

  @Test
  void anActiveParticipantWithRecentHeartbeatsStaysActive() {
    var kit =
        participant(
            RegistryTestConfig.settings(
                "liveness-window = 300ms", "heartbeat-record-interval = 100ms"));
    run(kit, replyTo -> new Register(WORKER, replyTo));
    // The timer fires (real time) but the clock has not moved past the window: no event.
    var probe = testKit.<StatusReply<View>>createTestProbe();
    probe.expectNoMessage(Duration.ofMillis(400));
    assertEquals(Status.ACTIVE, run(kit, Get::new).reply().getValue().status());
  }

  @Test
  void recoversItsStateAndRearmsTheLivenessTimer() {
    var kit =
        participant(
            RegistryTestConfig.settings(
                "liveness-window = 300ms",
                "heartbeat-record-interval = 100ms",
                "participant.snapshot-every = 2"));
    run(kit, replyTo -> new Register(WORKER, replyTo));
    clock.advance(Duration.ofMillis(150));
    run(kit, Heartbeat::new);
    run(
        kit,
        replyTo ->
            new Update(Optional.empty(), Optional.of(Set.of("rust")), Optional.empty(), replyTo));
    State before = kit.getState();
    assertEquals(before, kit.restart().state());

    clock.advance(Duration.ofSeconds(1));
    Eventually.assertWithin(
        Duration.ofSeconds(5),
        () -> assertEquals(Status.OFFLINE, ((Enrolled) kit.getState()).status()));
    List<Object> stored = kit.persistenceTestKit().persistedInStorage(persistenceIdOf(kit));
    WentOffline offline = (WentOffline) stored.get(stored.size() - 1);
    assertEquals(START.plusMillis(150), offline.lastSeen());
  }

  private static String persistenceIdOf(EventSourcedBehaviorTestKit<Command, Event, State> kit) {
    return Participant.ENTITY_TYPE_KEY.name() + "|" + ((Enrolled) kit.getState()).id();
  }
}
