package dev.muster.coordinator.mission;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.muster.coordinator.model.Decision;
import dev.muster.coordinator.model.MissionSpec;
import dev.muster.coordinator.model.MissionState;
import dev.muster.registry.inbox.Inbox;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every Mission command, event and state survives Jackson CBOR unchanged. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MissionSerializationTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
  private final ActorTestKit testKit = ActorTestKit.create();
  private final SerializationTestKit serialization = new SerializationTestKit(testKit.system());
  private final TestProbe<StatusReply<MissionState>> probe = testKit.createTestProbe();

  @AfterAll
  void shutdown() {
    testKit.shutdownTestKit();
  }

  Stream<Object> messages() {
    ObjectNode input = JsonNodeFactory.instance.objectNode().put("repo", "x");
    MissionSpec spec = new MissionSpec("ws", "t", Set.of("code"), Set.of("worker"), input);
    MissionState state =
        MissionState.submitted("m-1", spec, T)
            .decided(new Decision.Proceed("p-1", 1, "r"), T)
            .accepted(1, T)
            .succeeded(1, input, T)
            .decided(new Decision.Complete(1, "done"), T);
    MissionState retrying =
        MissionState.submitted("m-2", spec, T)
            .decided(new Decision.Proceed("p-1", 1, "r"), T)
            .decided(new Decision.Retry(2, 250, "full"), T);
    return Stream.of(
        new Mission.Submit(spec, probe.ref()),
        new Mission.Get(probe.ref()),
        new Mission.AcceptOffer(1, probe.ref()),
        new Mission.CompleteAttempt(1, input, probe.ref()),
        new Mission.OfferPlaced(1, "p-1", new Inbox.Accepted("m-1.a1", 3, false)),
        new Mission.OfferPlaced(1, "p-1", new Inbox.Refused("inbox_full: 1000 pending")),
        new Mission.OfferUnanswered(1, "p-1", "timeout"),
        new Mission.PlaceOfferAgain(1),
        Mission.LookAgain.INSTANCE,
        new Mission.MissionSubmitted("m-1", spec, T),
        new Mission.DecisionMade(new Decision.Proceed("p-1", 1, "r"), T),
        new Mission.DecisionMade(new Decision.Retry(2, 250, "r"), T),
        new Mission.DecisionMade(new Decision.Complete(1, "r"), T),
        new Mission.MissionQueued(T),
        new Mission.OfferAccepted(1, T),
        new Mission.AttemptSucceeded(1, input, T),
        Mission.Unknown.INSTANCE,
        new Mission.Known(state),
        new Mission.Known(retrying),
        List.of(state).get(0));
  }

  @ParameterizedTest
  @MethodSource("messages")
  void roundTrips(Object message) {
    serialization.verifySerialization(message, true);
  }
}
