package dev.muster.registry.participant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.muster.config.Caller;
import dev.muster.config.Rejection;
import dev.muster.registry.MutableClock;
import dev.muster.registry.RecordingInboxes;
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
import dev.muster.registry.participant.Participant.Register;
import dev.muster.registry.participant.Participant.Registered;
import dev.muster.registry.participant.Participant.StandDown;
import dev.muster.registry.participant.Participant.State;
import dev.muster.registry.participant.Participant.StoodDown;
import dev.muster.registry.participant.Participant.Update;
import dev.muster.registry.participant.Participant.Updated;
import dev.muster.registry.participant.Participant.WentOffline;
import dev.muster.testing.Eventually;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
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

  private static final Caller ANYONE = Caller.unconfined("operator");

  private final AtomicInteger ids = new AtomicInteger();
  private MutableClock clock;
  private RecordingInboxes inboxes;

  @BeforeEach
  void fresh() {
    clock = new MutableClock(START);
    inboxes = new RecordingInboxes();
  }

  private EventSourcedBehaviorTestKit<Command, Event, State> participant(
      RegistrySettings settings) {
    return EventSourcedBehaviorTestKit.create(
        testKit.system(),
        Participant.create("p-" + ids.incrementAndGet(), settings, inboxes, clock),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true));
  }

  private EventSourcedBehaviorTestKit<Command, Event, State> participant() {
    return participant(RegistryTestConfig.settings());
  }

  private EventSourcedBehaviorTestKit<Command, Event, State> registered() {
    var kit = participant();
    run(kit, replyTo -> new Register(WORKER, ANYONE, replyTo));
    return kit;
  }

  private static CommandResultWithReply<Command, Event, State, StatusReply<View>> run(
      EventSourcedBehaviorTestKit<Command, Event, State> kit,
      Function<ActorRef<StatusReply<View>>, Command> command) {
    return kit.runCommand(command);
  }

  private static void assertRejected(
      CommandResultWithReply<Command, Event, State, StatusReply<View>> result,
      Rejection.Code code) {
    assertTrue(result.reply().isError(), "expected a rejection, got " + result.reply());
    assertEquals(code, ((Rejection.Refusal) result.reply().getError()).rejection().code());
    assertTrue(result.hasNoEvents(), "a rejected command persists nothing");
  }

  @Test
  void registerPersistsRegisteredAndRepliesTheView() {
    var kit = participant();
    var result = run(kit, replyTo -> new Register(WORKER, ANYONE, replyTo));
    Registered event = result.eventOfType(Registered.class);
    assertEquals(WORKER, event.registration());
    assertEquals(START, event.at());
    View view = result.reply().getValue();
    assertEquals(Status.ACTIVE, view.status());
    assertEquals("ws-1", view.workspace());
    assertEquals(Set.of("java", "maven"), view.capabilities());
    assertEquals(START, view.registeredAt());
    assertEquals(Optional.empty(), view.lastHeartbeat());
    assertEquals(view, run(kit, r -> new Get(ANYONE, r)).reply().getValue());
  }

  @Test
  void theSameRegistrationAgainIsIdempotent() {
    var kit = registered();
    View first = run(kit, r -> new Get(ANYONE, r)).reply().getValue();
    clock.advance(Duration.ofSeconds(1));
    var again = run(kit, replyTo -> new Register(WORKER, ANYONE, replyTo));
    assertTrue(again.hasNoEvents());
    assertEquals(first, again.reply().getValue());
  }

  @Test
  void aDifferentRegistrationIsAConflict() {
    var kit = registered();
    Registration other =
        new Registration("ws-1", Kind.FLEET_WORKER, Set.of("builder"), Set.of("java"), 2);
    assertRejected(
        run(kit, replyTo -> new Register(other, ANYONE, replyTo)), Rejection.Code.CONFLICT);
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
      assertRejected(
          run(kit, replyTo -> new Register(registration, ANYONE, replyTo)),
          Rejection.Code.INVALID_REQUEST);
    }
    assertEquals(Participant.Unregistered.INSTANCE, kit.getState());
  }

  @Test
  void everyCommandOnAnUnknownParticipantIsNotFound() {
    var kit = participant();
    assertRejected(run(kit, r -> new Get(ANYONE, r)), Rejection.Code.NOT_FOUND);
    assertRejected(run(kit, r -> new Heartbeat(ANYONE, r)), Rejection.Code.NOT_FOUND);
    assertRejected(run(kit, r -> new Drain(ANYONE, r)), Rejection.Code.NOT_FOUND);
    assertRejected(
        run(kit, replyTo -> new StandDown("done", ANYONE, replyTo)), Rejection.Code.NOT_FOUND);
    assertRejected(
        run(
            kit,
            replyTo ->
                new Update(
                    Changes.NONE.withMaxConcurrentAttempts(3), Caller.unconfined("ops"), replyTo)),
        Rejection.Code.NOT_FOUND);
  }

  @Test
  void heartbeatsAreRecordedAtMostOncePerInterval() {
    var kit = registered();
    clock.advance(Duration.ofSeconds(1));
    var first = run(kit, r -> new Heartbeat(ANYONE, r));
    assertEquals(START.plusSeconds(1), first.eventOfType(HeartbeatRecorded.class).at());
    assertEquals(Optional.of(START.plusSeconds(1)), first.reply().getValue().lastHeartbeat());

    clock.advance(Duration.ofSeconds(5));
    var withinInterval = run(kit, r -> new Heartbeat(ANYONE, r));
    assertTrue(withinInterval.hasNoEvents());
    assertEquals(
        Optional.of(START.plusSeconds(1)), withinInterval.reply().getValue().lastHeartbeat());

    clock.advance(Duration.ofSeconds(5));
    var afterInterval = run(kit, r -> new Heartbeat(ANYONE, r));
    assertEquals(START.plusSeconds(11), afterInterval.eventOfType(HeartbeatRecorded.class).at());
  }

  @Test
  void drainMovesAnActiveParticipantToDrainingOnce() {
    var kit = registered();
    var drained = run(kit, r -> new Drain(ANYONE, r));
    drained.eventOfType(DrainStarted.class);
    assertEquals(Status.DRAINING, drained.reply().getValue().status());
    var again = run(kit, r -> new Drain(ANYONE, r));
    assertTrue(again.hasNoEvents());
    assertEquals(Status.DRAINING, again.reply().getValue().status());

    clock.advance(Duration.ofSeconds(1));
    var heartbeat = run(kit, r -> new Heartbeat(ANYONE, r));
    assertEquals(Status.DRAINING, heartbeat.reply().getValue().status());
  }

  @Test
  void standDownIsFinal() {
    var kit = registered();
    assertRejected(
        run(kit, replyTo -> new StandDown(" ", ANYONE, replyTo)), Rejection.Code.INVALID_REQUEST);
    var stood = run(kit, replyTo -> new StandDown("budget exhausted", ANYONE, replyTo));
    assertEquals("budget exhausted", stood.eventOfType(StoodDown.class).reason());
    assertEquals(Status.STOOD_DOWN, stood.reply().getValue().status());

    assertRejected(run(kit, r -> new Heartbeat(ANYONE, r)), Rejection.Code.CONFLICT);
    assertRejected(run(kit, r -> new Drain(ANYONE, r)), Rejection.Code.CONFLICT);
    assertRejected(
        run(
            kit,
            replyTo ->
                new Update(
                    Changes.NONE.withMaxConcurrentAttempts(5), Caller.unconfined("ops"), replyTo)),
        Rejection.Code.CONFLICT);
    var again = run(kit, replyTo -> new StandDown("again", ANYONE, replyTo));
    assertTrue(again.hasNoEvents());
    assertEquals(Status.STOOD_DOWN, again.reply().getValue().status());
    assertEquals(Status.STOOD_DOWN, run(kit, r -> new Get(ANYONE, r)).reply().getValue().status());
  }

  @Test
  void updateRecordsOnlyWhatChanged() {
    var kit = registered();
    var result =
        run(
            kit,
            replyTo ->
                new Update(
                    Changes.NONE
                        .withRoles(Set.of("builder"))
                        .withCapabilities(Set.of("java", "gradle"))
                        .withMaxConcurrentAttempts(4),
                    Caller.unconfined("ops"),
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
                    Changes.NONE.withRoles(Set.of("builder")).withMaxConcurrentAttempts(4),
                    Caller.unconfined("ops"),
                    replyTo));
    assertTrue(unchanged.hasNoEvents());
    assertRejected(
        run(
            kit,
            replyTo ->
                new Update(
                    Changes.NONE.withMaxConcurrentAttempts(0), Caller.unconfined("ops"), replyTo)),
        Rejection.Code.INVALID_REQUEST);
    assertRejected(
        run(
            kit,
            replyTo ->
                new Update(Changes.NONE.withRoles(Set.of("")), Caller.unconfined("ops"), replyTo)),
        Rejection.Code.INVALID_REQUEST);
  }

  @Test
  void goesOfflineWithoutHeartbeatsAndComesBackWithOne() {
    var kit =
        participant(
            RegistryTestConfig.settings(
                "liveness-window = 300ms", "heartbeat-record-interval = 100ms"));
    run(kit, replyTo -> new Register(WORKER, ANYONE, replyTo));
    clock.advance(Duration.ofSeconds(1));
    assertEquals(Status.OFFLINE, run(kit, r -> new Get(ANYONE, r)).reply().getValue().status());
    Eventually.assertWithin(
        Duration.ofSeconds(5),
        () -> assertEquals(Status.OFFLINE, ((Enrolled) kit.getState()).status()));

    var back = run(kit, r -> new Heartbeat(ANYONE, r));
    back.eventOfType(HeartbeatRecorded.class);
    assertEquals(Status.ACTIVE, back.reply().getValue().status());

    clock.advance(Duration.ofSeconds(1));
    Eventually.assertWithin(
        Duration.ofSeconds(5),
        () -> assertEquals(Status.OFFLINE, ((Enrolled) kit.getState()).status()));
    var drained = run(kit, r -> new Drain(ANYONE, r));
    drained.eventOfType(DrainStarted.class);
    assertEquals(Status.DRAINING, drained.reply().getValue().status());
  }

  @Test
  void anActiveParticipantWithRecentHeartbeatsStaysActive() {
    var kit =
        participant(
            RegistryTestConfig.settings(
                "liveness-window = 300ms", "heartbeat-record-interval = 100ms"));
    run(kit, replyTo -> new Register(WORKER, ANYONE, replyTo));
    // The timer fires (real time) but the clock has not moved past the window: no event.
    var probe = testKit.<StatusReply<View>>createTestProbe();
    probe.expectNoMessage(Duration.ofMillis(400));
    assertEquals(Status.ACTIVE, run(kit, r -> new Get(ANYONE, r)).reply().getValue().status());
  }

  @Test
  void recoversItsStateAndRearmsTheLivenessTimer() {
    var kit =
        participant(
            RegistryTestConfig.settings(
                "liveness-window = 300ms",
                "heartbeat-record-interval = 100ms",
                "participant.snapshot-every = 2"));
    run(kit, replyTo -> new Register(WORKER, ANYONE, replyTo));
    clock.advance(Duration.ofMillis(150));
    run(kit, r -> new Heartbeat(ANYONE, r));
    run(
        kit,
        replyTo ->
            new Update(
                Changes.NONE.withCapabilities(Set.of("rust")), Caller.unconfined("ops"), replyTo));
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

  private static final Registration FULL =
      new Registration(
          "ws-1",
          Kind.CONNECTED_RUNTIME,
          Set.of("builder"),
          Set.of("java", "shell"),
          3,
          Set.of("git:read", "fs:write"),
          Optional.of("team-a"),
          Optional.of("internal"),
          new EscalationPosture(Optional.of("p-lead"), 2),
          new CapabilityManifest(
              Optional.of("container"),
              Optional.of("internal"),
              Set.of("java", "shell:approval_required")));

  @Test
  void aRegistrationCarriesGrantsBoundariesEscalationAndManifest() {
    var kit = participant();
    View view = run(kit, replyTo -> new Register(FULL, ANYONE, replyTo)).reply().getValue();
    assertEquals(Set.of("fs:write", "git:read"), view.grants());
    assertEquals(Optional.of("team-a"), view.budgetScope());
    assertEquals(Optional.of("internal"), view.trustZone());
    assertEquals(new EscalationPosture(Optional.of("p-lead"), 2), view.escalation());
    assertEquals(Optional.of("container"), view.manifest().executionMode());
    assertEquals(Set.of("shell"), view.approvalRequired());
    assertEquals(Set.of("java", "shell"), view.manifest().names());
    assertTrue(run(kit, replyTo -> new Register(FULL, ANYONE, replyTo)).hasNoEvents());
  }

  @Test
  void invalidGrantsBoundariesEscalationOrManifestAreRejected() {
    List<Changes> invalid =
        List.of(
            Changes.NONE.withGrants(Set.of(" ")),
            Changes.NONE.withBudgetScope(Optional.of("")),
            Changes.NONE.withTrustZone(Optional.of(" ")),
            Changes.NONE.withEscalation(new EscalationPosture(Optional.of("p-lead"), 0)),
            Changes.NONE.withEscalation(new EscalationPosture(Optional.of(" "), 1)),
            Changes.NONE.withEscalation(new EscalationPosture(Optional.empty(), 2)),
            Changes.NONE.withManifest(
                new CapabilityManifest(
                    Optional.empty(), Optional.empty(), Set.of(":approval_required"))),
            Changes.NONE.withManifest(
                new CapabilityManifest(Optional.of(""), Optional.empty(), Set.of())));
    var kit = registered();
    for (Changes changes : invalid) {
      assertRejected(
          run(kit, replyTo -> new Update(changes, Caller.unconfined("ops"), replyTo)),
          Rejection.Code.INVALID_REQUEST);
      Registration registration = WORKER.with(changes);
      assertRejected(
          run(participant(), replyTo -> new Register(registration, ANYONE, replyTo)),
          Rejection.Code.INVALID_REQUEST);
    }
  }

  @Test
  void updatesRecordWhoChangedWhatAndWhen() {
    var kit = registered();
    clock.advance(Duration.ofMinutes(1));
    Changes changes =
        Changes.NONE
            .withRoles(WORKER.roles())
            .withGrants(Set.of("git:write"))
            .withBudgetScope(Optional.of("team-b"))
            .withTrustZone(Optional.of("dmz"))
            .withEscalation(new EscalationPosture(Optional.of("p-arbiter"), 1))
            .withManifest(
                new CapabilityManifest(
                    Optional.of("vm"), Optional.empty(), Set.of("net:approval_required")));
    var result = run(kit, replyTo -> new Update(changes, Caller.unconfined("alice"), replyTo));
    Updated updated = result.eventOfType(Updated.class);
    assertEquals(Optional.of("alice"), updated.actor());
    assertEquals(START.plus(Duration.ofMinutes(1)), updated.at());
    assertEquals(Optional.empty(), updated.roles(), "unchanged fields are not recorded");
    assertEquals(Optional.of(Set.of("git:write")), updated.grants());
    assertEquals(Optional.of("team-b"), updated.budgetScope());
    assertEquals(Optional.of("dmz"), updated.trustZone());
    View view = result.reply().getValue();
    assertEquals(Set.of("git:write"), view.grants());
    assertEquals(new EscalationPosture(Optional.of("p-arbiter"), 1), view.escalation());
    assertEquals(Set.of("net"), view.approvalRequired());
    assertEquals(view, run(kit, r -> new Get(ANYONE, r)).reply().getValue());
    assertTrue(
        run(kit, replyTo -> new Update(changes, Caller.unconfined("bob"), replyTo)).hasNoEvents());
    assertEquals(kit.getState(), kit.restart().state());
  }

  @Test
  void drainAndStandDownRecordTheActorAndTheReason() {
    var kit = registered();
    DrainStarted drained =
        run(kit, replyTo -> new Drain(Caller.unconfined("alice"), replyTo))
            .eventOfType(DrainStarted.class);
    assertEquals(Optional.of("alice"), drained.actor());
    var stood = run(kit, replyTo -> new StandDown(" retired ", Caller.unconfined("bob"), replyTo));
    StoodDown event = stood.eventOfType(StoodDown.class);
    assertEquals(Optional.of("bob"), event.actor());
    assertEquals("retired", event.reason());
    assertEquals(Optional.of("retired"), stood.reply().getValue().standDownReason());
    assertEquals(kit.getState(), kit.restart().state());
    assertRejected(
        run(registered(), replyTo -> new StandDown(" ", ANYONE, replyTo)),
        Rejection.Code.INVALID_REQUEST);
  }

  @Test
  void eventsWrittenBeforeTheNewFieldsStillReadBack() throws Exception {
    ObjectMapper cbor =
        JacksonObjectMapperProvider.get(testKit.system())
            .getOrCreate("jackson-cbor", Optional.empty());
    Map<String, Object> oldRegistration =
        Map.of(
            "workspace",
            "ws-1",
            "kind",
            "FLEET_WORKER",
            "roles",
            List.of("builder"),
            "capabilities",
            List.of("java", "maven"),
            "maxConcurrentAttempts",
            2);
    Registered registered =
        cbor.readValue(
            cbor.writeValueAsBytes(
                Map.of("participantId", "p-old", "registration", oldRegistration, "at", START)),
            Registered.class);
    assertEquals(WORKER, registered.registration());
    Updated updated =
        cbor.readValue(
            cbor.writeValueAsBytes(
                Map.of("participantId", "p-old", "capabilities", List.of("rust"), "at", START)),
            Updated.class);
    assertEquals(Changes.NONE.withCapabilities(Set.of("rust")), updated.changes());
    assertEquals(Optional.empty(), updated.actor());
    DrainStarted drained =
        cbor.readValue(
            cbor.writeValueAsBytes(Map.of("participantId", "p-old", "at", START)),
            DrainStarted.class);
    assertEquals(new DrainStarted("p-old", START, Optional.empty()), drained);
  }

  @Test
  void aCallerOfAnotherWorkspaceFindsNothingAndCannotRegisterThere() {
    var kit = registered();
    Caller other = Caller.in("ws-2", "mallory");
    assertRejected(run(kit, r -> new Get(other, r)), Rejection.Code.NOT_FOUND);
    assertRejected(run(kit, r -> new Heartbeat(other, r)), Rejection.Code.NOT_FOUND);
    assertRejected(run(kit, r -> new Drain(other, r)), Rejection.Code.NOT_FOUND);
    assertRejected(run(kit, r -> new StandDown("x", other, r)), Rejection.Code.NOT_FOUND);
    assertRejected(
        run(kit, r -> new Update(Changes.NONE.withMaxConcurrentAttempts(9), other, r)),
        Rejection.Code.NOT_FOUND);
    assertEquals(
        Status.ACTIVE,
        run(kit, r -> new Get(Caller.in("ws-1", "me"), r)).reply().getValue().status());
    assertRejected(
        run(participant(), r -> new Register(WORKER, other, r)), Rejection.Code.FORBIDDEN);
    Registration theirs =
        new Registration("ws-2", Kind.FLEET_WORKER, Set.of("builder"), Set.of("java", "maven"), 2);
    var taken = run(kit, r -> new Register(theirs, other, r));
    assertRejected(taken, Rejection.Code.CONFLICT);
    assertTrue(
        taken.reply().getError().getMessage().contains("is taken"),
        "an id taken in another workspace is a conflict, not a refusal of the caller's own: "
            + taken.reply().getError().getMessage());
  }

  @Test
  void aStandDownPlacesItsMessageAndAnswersOnceTheInboxHasIt() {
    var kit = registered();
    var stood = run(kit, r -> new StandDown("retired", ANYONE, r));
    assertEquals(Status.STOOD_DOWN, stood.reply().getValue().status());
    assertEquals(1, inboxes.placed.size());
    RecordingInboxes.Placed placed = inboxes.placed.get(0);
    assertEquals(dev.muster.registry.inbox.Inbox.MessageType.STAND_DOWN, placed.draft().type());
    assertEquals("retired", placed.draft().payload().get("reason").asText());

    inboxes.failing = true;
    var lost = run(kit, r -> new StandDown("retired", ANYONE, r));
    assertRejected(lost, Rejection.Code.UNAVAILABLE);
    inboxes.failing = false;
    var again = run(kit, r -> new StandDown("retired", ANYONE, r));
    assertTrue(again.hasNoEvents());
    assertEquals(placed.draft().messageId(), inboxes.placed.get(1).draft().messageId());
  }

  @Test
  void aFailingCommandIsAnsweredAndTheParticipantGoesOnServingItsState() {
    var kit = registered();
    View before = run(kit, r -> new Get(ANYONE, r)).reply().getValue();
    clock.breakOnce();
    assertRejected(run(kit, r -> new Heartbeat(ANYONE, r)), Rejection.Code.INTERNAL_ERROR);
    assertEquals(before, run(kit, r -> new Get(ANYONE, r)).reply().getValue());
    clock.advance(Duration.ofSeconds(1));
    run(kit, r -> new Heartbeat(ANYONE, r)).eventOfType(HeartbeatRecorded.class);
  }

  private static String persistenceIdOf(EventSourcedBehaviorTestKit<Command, Event, State> kit) {
    return Participant.ENTITY_TYPE_KEY.name() + "|" + ((Enrolled) kit.getState()).id();
  }
}
