package dev.muster.coordinator.directory;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.NullNode;
import dev.muster.coordinator.mission.Mission;
import dev.muster.coordinator.model.Attempt;
import dev.muster.coordinator.model.Decision;
import dev.muster.coordinator.model.Escalation;
import dev.muster.coordinator.model.MissionSpec;
import dev.muster.coordinator.model.MissionSpec.RetryPolicy;
import dev.muster.coordinator.model.MissionSpec.Timeouts;
import dev.muster.coordinator.model.MissionState;
import dev.muster.coordinator.model.Phase;
import dev.muster.runtime.dispatch.Requirements;
import dev.muster.runtime.dispatch.WorkStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The directory's view of a mission follows the entity: for event sequences covering every kind of
 * transition, the state the directory folds equals the state the entity's own handler reaches, and
 * escalations open and close with it.
 */
class DirectoryFoldTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
  private static final MissionSpec SPEC =
      new MissionSpec(
          "ws-1",
          "t",
          Optional.of(new MissionSpec.SpecRef("s", "1")),
          Set.of("code"),
          Set.of(),
          NullNode.instance,
          new RetryPolicy(3, 1, 1, 1, Set.of()),
          new Timeouts(1, 1, 1),
          Optional.empty(),
          Optional.empty(),
          false,
          Optional.empty(),
          4);
  private static final Mission.Event SUBMITTED = new Mission.MissionSubmitted("m", SPEC, T);

  private static Mission.Event decided(Decision d) {
    return new Mission.DecisionMade(d, T);
  }

  private static final Mission.Event PROCEED = decided(new Decision.Proceed("p-1", 1, "r"));
  private static final Mission.Event ESCALATE =
      decided(new Decision.Escalate("m.e1", "ops", Optional.empty(), "stuck"));
  private static final Mission.Event FAILED =
      new Mission.AttemptFailed(
          1,
          new Attempt.Failure(
              "x", false, Optional.empty(), Attempt.CleanupStatus.CLEAN, Optional.empty()),
          Optional.empty(),
          T);

  static Stream<Arguments> flows() {
    return Stream.of(
        Arguments.of("queued", List.of(SUBMITTED, new Mission.MissionQueued(T)), 0),
        Arguments.of("approval", List.of(SUBMITTED, new Mission.ApprovalRequested(T)), 0),
        Arguments.of("offered", List.of(SUBMITTED, PROCEED), 0),
        Arguments.of("running", List.of(SUBMITTED, PROCEED, new Mission.OfferAccepted(1, T)), 0),
        Arguments.of(
            "running by heartbeat",
            List.of(
                SUBMITTED,
                PROCEED,
                new Mission.HeartbeatRecorded(1, Optional.of(0.1), Optional.empty(), T)),
            0),
        Arguments.of(
            "succeeded",
            List.of(
                SUBMITTED,
                PROCEED,
                new Mission.AttemptSucceeded(1, NullNode.instance, Optional.empty(), T),
                decided(new Decision.Complete("r"))),
            0),
        Arguments.of(
            "retrying",
            List.of(
                SUBMITTED,
                PROCEED,
                new Mission.OfferAccepted(1, T),
                FAILED,
                decided(new Decision.Retry(2, 10, List.of("p-1"), "r"))),
            0),
        Arguments.of(
            "escalated, open",
            List.of(SUBMITTED, PROCEED, new Mission.OfferAccepted(1, T), FAILED, ESCALATE),
            1),
        Arguments.of(
            "escalated, resolved with retry",
            List.of(
                SUBMITTED,
                PROCEED,
                new Mission.OfferAccepted(1, T),
                FAILED,
                ESCALATE,
                new Mission.EscalationResolved(
                    "m.e1",
                    new Escalation.Resolution(
                        Escalation.Action.RETRY, Optional.empty(), "", "ops", T)),
                decided(new Decision.Retry(2, 0, List.of(), "r"))),
            0),
        Arguments.of(
            "escalated, then cancelled: settled",
            List.of(
                SUBMITTED,
                new Mission.MissionQueued(T),
                ESCALATE,
                decided(
                    new Decision.StandDown(
                        List.of(), List.of(), List.of(), Optional.of(Phase.CANCELLED), "r"))),
            0),
        Arguments.of(
            "handed off, back in the backlog for the new requirements",
            List.of(
                SUBMITTED,
                PROCEED,
                new Mission.OfferAccepted(1, T),
                new Mission.AttemptHandedOff(
                    new MissionState.Handoff(
                        1,
                        "p-1",
                        new Requirements(Set.of("review"), Set.of("reviewer"), Optional.of("p-9")),
                        "review",
                        T)),
                decided(new Decision.Retry(2, 0, List.of(), "r"))),
            0),
        Arguments.of(
            "escalated, reassigned to a named participant",
            List.of(
                SUBMITTED,
                PROCEED,
                new Mission.OfferAccepted(1, T),
                FAILED,
                ESCALATE,
                new Mission.EscalationResolved(
                    "m.e1",
                    new Escalation.Resolution(
                        Escalation.Action.REASSIGN, Optional.of("p-7"), "", "ops", T)),
                decided(new Decision.Retry(2, 0, List.of(), "r")),
                decided(new Decision.Proceed("p-7", 2, "r"))),
            0),
        Arguments.of(
            "approval granted, then queued",
            List.of(
                SUBMITTED,
                new Mission.ApprovalRequested(T),
                new Mission.ApprovalGiven(new MissionState.Approval(true, "ok", "ops", T)),
                new Mission.MissionQueued(T.plusSeconds(1))),
            0),
        Arguments.of(
            "split",
            List.of(SUBMITTED, decided(new Decision.Split(List.of("m.c1"), "all", "r"))),
            0),
        Arguments.of(
            "failed",
            List.of(
                SUBMITTED,
                PROCEED,
                new Mission.OfferAccepted(1, T),
                FAILED,
                ESCALATE,
                decided(new Decision.Fail("r"))),
            0));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("flows")
  void theDirectoryFollowsTheEntity(String name, List<Mission.Event> events, int openEscalations) {
    Mission.State entity = Mission.Unknown.INSTANCE;
    Map<String, MissionSummary> missions = new TreeMap<>();
    TreeMap<String, EscalationSummary> escalations = new TreeMap<>();
    Map<String, WorkFacts> open = new TreeMap<>();
    DirectoryFold.Maps maps = new DirectoryFold.Maps(missions, escalations, open);
    long seq = 0;
    for (Mission.Event event : events) {
      entity = Mission.apply(entity, event);
      DirectoryFold.apply("m", ++seq, event, maps);
      MissionState now = ((Mission.Known) entity).mission();
      WorkStatus expected = now.workStatus(seq);
      WorkStatus folded =
          open.containsKey("m")
              ? open.get("m").status()
              : new WorkStatus.Idle("m", "ws-1", missions.get("m").version());
      assertEquals(expected, folded, "after event " + seq + " (" + event + ")");
      assertEquals(now.phase().isFinal(), !open.containsKey("m"), "open until final");
    }
    MissionState state = ((Mission.Known) entity).mission();
    MissionSummary summary = missions.get("m");
    assertEquals(state.phase(), summary.state());
    assertEquals(
        Set.copyOf(state.attempts().stream().map(Attempt::participantId).toList()),
        summary.participants());
    assertEquals(
        openEscalations, escalations.values().stream().filter(EscalationSummary::open).count());
    assertEquals(
        state.escalations().stream().filter(Escalation::open).count(),
        escalations.values().stream().filter(EscalationSummary::open).count());
  }
}
