package dev.muster.coordinator.mission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.typesafe.config.ConfigFactory;
import dev.muster.config.Rejection;
import dev.muster.coordinator.model.Attempt;
import dev.muster.coordinator.model.Decision;
import dev.muster.coordinator.model.MissionSpec;
import dev.muster.coordinator.model.MissionState;
import dev.muster.coordinator.model.Phase;
import dev.muster.testing.Eventually;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MissionTest {
  private static final Duration WAIT = Duration.ofSeconds(5);
  private final ActorTestKit testKit =
      ActorTestKit.create(
          EventSourcedBehaviorTestKit.config()
              .withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
              .withFallback(ConfigFactory.load()));
  private final CoordinatorSettings settings =
      new CoordinatorSettings(Duration.ofMillis(50), Duration.ofMillis(50), 50);
  private final Clock clock = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
  private final MissionSpec spec =
      new MissionSpec(
          "ws-1",
          "write it",
          Set.of("code"),
          Set.of(),
          JsonNodeFactory.instance.objectNode().put("repo", "x"));

  private RecordingDispatch dispatch;
  private EventSourcedBehaviorTestKit<Mission.Command, Mission.Event, Mission.State> mission;

  @BeforeEach
  void fresh() {
    dispatch = new RecordingDispatch();
    mission =
        EventSourcedBehaviorTestKit.create(
            testKit.system(), Mission.create("m-1", dispatch, settings, clock));
  }

  @AfterAll
  void shutdown() {
    testKit.shutdownTestKit();
  }

  private CommandResultWithReply<
          Mission.Command, Mission.Event, Mission.State, StatusReply<MissionState>>
      run(Function<ActorRef<StatusReply<MissionState>>, Mission.Command> command) {
    return mission.runCommand(command::apply);
  }

  private CommandResultWithReply<
          Mission.Command, Mission.Event, Mission.State, StatusReply<MissionState>>
      submit() {
    return run(replyTo -> new Mission.Submit(spec, replyTo));
  }

  @Test
  void submitWithACapableParticipantDecidesToProceedAndPlacesTheOffer() {
    dispatch.available.add("p-1");
    var result = submit();

    assertEquals(2, result.events().size());
    assertInstanceOf(Mission.MissionSubmitted.class, result.events().get(0));
    Mission.DecisionMade made = (Mission.DecisionMade) result.events().get(1);
    assertEquals(
        new Decision.Proceed("p-1", 1, "p-1 covers the required capabilities and has room"),
        made.decision());
    assertEquals(Phase.OFFERED, result.reply().getValue().phase());
    Eventually.assertWithin(WAIT, () -> assertEquals(1, dispatch.offers.size()));
    RecordingDispatch.Placed placed = dispatch.offers.get(0);
    assertEquals("p-1", placed.participantId());
    assertEquals("m-1.a1", placed.draft().messageId());
    assertEquals("x", placed.draft().payload().get("input").get("repo").asText());
  }

  @Test
  void acceptAndCompleteMakeTheMissionSucceedWithAnEvidencedDecision() {
    dispatch.available.add("p-1");
    submit();
    var accepted = run(r -> new Mission.AcceptOffer(1, r));
    assertEquals(Phase.RUNNING, accepted.reply().getValue().phase());

    var result = JsonNodeFactory.instance.objectNode().put("ok", true);
    var completed = run(r -> new Mission.CompleteAttempt(1, result, r));
    MissionState state = completed.reply().getValue();
    assertEquals(Phase.SUCCEEDED, state.phase());
    assertEquals(Attempt.State.SUCCEEDED, state.attempt(1).orElseThrow().state());
    assertEquals(result, state.attempt(1).orElseThrow().result());
    assertEquals(
        List.of(Decision.Kind.PROCEED, Decision.Kind.COMPLETE),
        state.decisions().stream().map(d -> d.decision().kind()).toList());
    assertEquals(List.of("p-1"), dispatch.released);

    var again = run(r -> new Mission.CompleteAttempt(1, result, r));
    assertTrue(again.events().isEmpty(), "a repeated completion changes nothing");
    assertEquals(Phase.SUCCEEDED, again.reply().getValue().phase());
  }

  @Test
  void withoutAParticipantTheMissionWaitsQueuedAndProceedsWhenOneJoins() {
    var result = submit();
    assertInstanceOf(Mission.MissionQueued.class, result.events().get(1));
    assertEquals(Phase.QUEUED, result.reply().getValue().phase());

    dispatch.available.add("p-7");
    Eventually.assertWithin(WAIT, () -> assertEquals(1, dispatch.offers.size()));
    assertEquals("p-7", dispatch.offers.get(0).participantId());
    MissionState state = run(Mission.Get::new).reply().getValue();
    assertEquals(Phase.OFFERED, state.phase());
  }

  @Test
  void aRefusedOfferGoesToAnotherParticipantAsANewAttempt() {
    dispatch.available.addAll(List.of("p-1", "p-2"));
    dispatch.refusing.add("p-1");
    submit();

    Eventually.assertWithin(WAIT, () -> assertEquals(2, dispatch.offers.size()));
    assertEquals("p-2", dispatch.offers.get(1).participantId());
    assertEquals("m-1.a2", dispatch.offers.get(1).draft().messageId());
    MissionState state = run(Mission.Get::new).reply().getValue();
    assertEquals(Attempt.State.SUPERSEDED, state.attempt(1).orElseThrow().state());
    assertEquals(Attempt.State.OFFERED, state.attempt(2).orElseThrow().state());

    var stale = run(r -> new Mission.CompleteAttempt(1, JsonNodeFactory.instance.nullNode(), r));
    assertTrue(stale.events().isEmpty());
    assertEquals("stale_attempt", Rejection.parse(stale.reply().getError().getMessage()).code());
  }

  @Test
  void afterARestartAnOfferedMissionPlacesTheSameOfferAgain() {
    dispatch.available.add("p-1");
    submit();
    Eventually.assertWithin(WAIT, () -> assertEquals(1, dispatch.offers.size()));

    mission.restart();

    Eventually.assertWithin(WAIT, () -> assertEquals(2, dispatch.offers.size()));
    assertEquals(dispatch.offers.get(0).draft(), dispatch.offers.get(1).draft());
    assertEquals(Phase.OFFERED, run(Mission.Get::new).reply().getValue().phase());
  }

  @Test
  void unknownMissionsAndAttemptsAreNotFoundAndPersistNothing() {
    var get = run(Mission.Get::new);
    assertEquals("not_found", Rejection.parse(get.reply().getError().getMessage()).code());

    dispatch.available.add("p-1");
    submit();
    var accept = run(r -> new Mission.AcceptOffer(9, r));
    assertTrue(accept.events().isEmpty());
    assertEquals("not_found", Rejection.parse(accept.reply().getError().getMessage()).code());
  }

  @Test
  void resubmittingTheSameSpecIsIdempotentAndADifferentOneConflicts() {
    dispatch.available.add("p-1");
    submit();
    var same = submit();
    assertTrue(same.events().isEmpty());
    assertEquals(Phase.OFFERED, same.reply().getValue().phase());

    MissionSpec other = new MissionSpec("ws-1", "other", Set.of("code"), Set.of(), spec.input());
    var different = run(r -> new Mission.Submit(other, r));
    assertTrue(different.events().isEmpty());
    assertEquals("conflict", Rejection.parse(different.reply().getError().getMessage()).code());
  }
}
