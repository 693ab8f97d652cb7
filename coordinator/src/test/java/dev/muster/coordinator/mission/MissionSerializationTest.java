package dev.muster.coordinator.mission;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.muster.config.Caller;
import dev.muster.config.Rejection;
import dev.muster.config.money.Amount;
import dev.muster.coordinator.model.Attempt;
import dev.muster.coordinator.model.Decision;
import dev.muster.coordinator.model.Escalation;
import dev.muster.coordinator.model.MissionSpec;
import dev.muster.coordinator.model.MissionSpec.BudgetRef;
import dev.muster.coordinator.model.MissionSpec.ChildSpec;
import dev.muster.coordinator.model.MissionSpec.JoinMode;
import dev.muster.coordinator.model.MissionSpec.RetryPolicy;
import dev.muster.coordinator.model.MissionSpec.SpecRef;
import dev.muster.coordinator.model.MissionSpec.SplitPlan;
import dev.muster.coordinator.model.MissionSpec.Timeouts;
import dev.muster.coordinator.model.MissionState;
import dev.muster.coordinator.model.NamedParticipant;
import dev.muster.coordinator.model.Phase;
import dev.muster.registry.inbox.Inbox;
import dev.muster.runtime.dispatch.Requirements;
import dev.muster.runtime.dispatch.WorkStatus;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
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
  private final TestProbe<StatusReply<WorkStatus>> statusProbe = testKit.createTestProbe();
  private static final Caller OPS = Caller.unconfined("ops");
  private static final Caller WORKER = Caller.in("ws", "p-1");

  @AfterAll
  void shutdown() {
    testKit.shutdownTestKit();
  }

  Stream<Object> messages() {
    ObjectNode input = JsonNodeFactory.instance.objectNode().put("repo", "x");
    SplitPlan plan =
        new SplitPlan(
            JoinMode.parse("quorum:2"),
            List.of(
                new ChildSpec("a", Set.of("code"), Set.of("worker"), input),
                new ChildSpec("b", Set.of(), Set.of(), input, Optional.of(5))));
    MissionSpec spec =
        new MissionSpec(
            "ws",
            "t",
            Optional.of(new SpecRef("s", "1.0")),
            Set.of("code"),
            Set.of("worker"),
            input,
            new RetryPolicy(3, 100, 2.0, 1000, Set.of("timeout")),
            new Timeouts(1000, 2000, 300, Optional.of(9000L)),
            Optional.of(plan),
            Optional.of(new BudgetRef("ws", Amount.units(10))),
            true,
            Optional.of("m-0"),
            7);
    MissionSpec plain =
        new MissionSpec(
            "ws",
            "t",
            Optional.empty(),
            Set.of(),
            Set.of(),
            input,
            new RetryPolicy(3, 100, 2.0, 1000, Set.of()),
            new Timeouts(1000, 2000, 300),
            Optional.empty(),
            Optional.empty(),
            false,
            Optional.empty(),
            0);
    Attempt.Failure failure =
        new Attempt.Failure(
            "boom",
            true,
            Optional.of("timeout"),
            Attempt.CleanupStatus.NEEDS_RECOVERY,
            Optional.of("rollback"));
    Requirements requirements =
        new Requirements(Set.of("review"), Set.of("reviewer"), Optional.of("p-9"));
    Escalation.Resolution resolution =
        new Escalation.Resolution(Escalation.Action.REASSIGN, Optional.of("p-2"), "n", "ops", T);
    MissionState.Handoff handoff = new MissionState.Handoff(1, "p-1", requirements, "review", T);
    MissionState state =
        MissionState.submitted("m-1", plain, T)
            .decided(new Decision.Proceed("p-1", 1, "r"), T)
            .accepted(1, T)
            .heartbeat(1, Optional.of(0.5), Optional.of(new Amount(1_500_000)), T)
            .failed(1, failure, Optional.of(Amount.units(2)), T)
            .decided(new Decision.Escalate("m-1.e1", "operators", Optional.of("rollback"), "r"), T)
            .escalationResolved("m-1.e1", resolution)
            .decided(new Decision.Proceed("p-2", 2, "r"), T)
            .handedOff(handoff)
            .decided(new Decision.Retry(3, 250, List.of("p-1"), "r"), T);
    MissionState split =
        MissionState.submitted("m-2", spec, T)
            .awaitingApproval(T)
            .approvalGiven(new MissionState.Approval(true, "ok", "ops", T))
            .decided(new Decision.Split(List.of("m-2.c1"), "quorum:2", "r"), T)
            .childReported("m-2.c1", Phase.SUCCEEDED, T)
            .decided(
                new Decision.StandDown(
                    List.of(), List.of(), List.of("m-2.c1"), Optional.of(Phase.CANCELLED), "r"),
                T);
    return Stream.of(
        new Mission.Submit(spec, OPS, probe.ref()),
        new Mission.Get(OPS, probe.ref()),
        new Mission.AcceptOffer(1, Caller.SYSTEM, probe.ref()),
        new Mission.DeclineOffer(1, "busy", WORKER, probe.ref()),
        new Mission.Heartbeat(1, Optional.of(0.5), Optional.empty(), WORKER, probe.ref()),
        new Mission.CompleteAttempt(1, input, Optional.of(Amount.units(1)), WORKER, probe.ref()),
        new Mission.FailAttempt(1, failure, Optional.empty(), WORKER, probe.ref()),
        new Mission.HandOff(
            1,
            Optional.of("reviewer"),
            Optional.of(Set.of("review")),
            Optional.of(new NamedParticipant("p-9", Optional.of("ws"))),
            "n",
            WORKER,
            probe.ref()),
        new Mission.Approve(true, "ok", OPS, probe.ref()),
        new Mission.Cancel("why", OPS, probe.ref()),
        new Mission.ResolveEscalation(
            "m-1.e1", Escalation.Action.RETRY, Optional.empty(), "n", OPS, probe.ref()),
        new Mission.ReportChild("m-1.c1", Phase.SUCCEEDED, probe.ref()),
        new Mission.Offer("ws", 2, "p-1", statusProbe.ref()),
        new Mission.GiveUp("ws", 2, "nobody capable", statusProbe.ref()),
        new Mission.OfferPlaced(1, "p-1", new Inbox.Accepted("m-1.a1", 3, false)),
        new Mission.OfferPlaced(
            1, "p-1", new Inbox.Refused(Rejection.of(Rejection.Code.INBOX_FULL, "1000 pending"))),
        new Mission.OfferUnanswered(1, "p-1", "timeout"),
        new Mission.PlaceOfferAgain(1),
        new Mission.ChildSeen("m-1.c1", Phase.RUNNING),
        new Mission.PeersUnanswered("timeout"),
        new Mission.ReservationDenied(1, "p-1", "limit"),
        new Mission.BudgetUnsettled(1, "timeout"),
        Mission.SettleAgain.INSTANCE,
        Mission.PeerAnswered.INSTANCE,
        Mission.Tick.INSTANCE,
        Mission.CallPeersAgain.INSTANCE,
        new Mission.MissionSubmitted("m-1", spec, T),
        new Mission.ApprovalRequested(T),
        new Mission.ApprovalGiven(new MissionState.Approval(false, "no", "ops", T)),
        new Mission.MissionQueued(T),
        new Mission.DecisionMade(new Decision.Proceed("p-1", 1, "r"), T),
        new Mission.DecisionMade(new Decision.Split(List.of("a", "b"), "all", "r"), T),
        new Mission.DecisionMade(new Decision.Retry(2, 250, List.of("p-1"), "r"), T),
        new Mission.DecisionMade(new Decision.Escalate("e", "ops", Optional.empty(), "r"), T),
        new Mission.DecisionMade(
            new Decision.StandDown(List.of(1), List.of("p-1"), List.of("c"), Optional.empty(), "r"),
            T),
        new Mission.DecisionMade(new Decision.Complete("r"), T),
        new Mission.DecisionMade(new Decision.Fail("r"), T),
        new Mission.OfferAccepted(1, T),
        new Mission.HeartbeatRecorded(1, Optional.of(0.5), Optional.of(Amount.units(1)), T),
        new Mission.AttemptSucceeded(1, input, Optional.of(new Amount(3_000_001)), T),
        new Mission.AttemptFailed(1, failure, Optional.empty(), T),
        new Mission.AttemptWithdrawn(1, "refused", T),
        new Mission.AttemptHandedOff(handoff),
        new Mission.ChildReported("m-1.c1", Phase.ESCALATED, T),
        new Mission.EscalationResolved("m-1.e1", resolution),
        Mission.Unknown.INSTANCE,
        new Mission.Known(state),
        new Mission.Known(split),
        state,
        state.workStatus(9),
        split.workStatus(10),
        new WorkStatus.Holding("m-1", "ws", 4, 1, "p-1"));
  }

  @ParameterizedTest
  @MethodSource("messages")
  void roundTrips(Object message) {
    serialization.verifySerialization(message, true);
  }
}
