package dev.muster.coordinator.directory;

import dev.muster.coordinator.mission.Mission;
import dev.muster.coordinator.model.Decision;
import dev.muster.coordinator.model.Escalation;
import dev.muster.coordinator.model.Phase;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;

/**
 * How one mission event changes the directory: the mission's summary (its state follows the same
 * transitions as the entity's) and the operators' escalation queue. Pure but for the two maps it is
 * given to change.
 */
final class DirectoryFold {
  private DirectoryFold() {}

  static void apply(
      String missionId,
      Mission.Event event,
      Map<String, MissionSummary> missions,
      NavigableMap<String, EscalationSummary> escalations) {
    if (event instanceof Mission.MissionSubmitted s) {
      missions.putIfAbsent(
          missionId,
          new MissionSummary(
              missionId,
              s.spec().workspace(),
              s.spec().title(),
              Phase.PENDING,
              s.spec().parentId(),
              Set.of(),
              s.spec().spec(),
              s.at(),
              s.at()));
      return;
    }
    MissionSummary current = missions.get(missionId);
    if (current == null) {
      return; // its submission is older than what this node has seen: nothing to change
    }
    if (event instanceof Mission.DecisionMade made) {
      Decision d = made.decision();
      if (d instanceof Decision.Escalate e) {
        escalations.put(
            e.escalationId(),
            new EscalationSummary(
                e.escalationId(),
                missionId,
                current.workspace(),
                e.reason(),
                e.target(),
                e.recoveryAction(),
                made.at(),
                Optional.empty(),
                Optional.empty()));
      }
      Optional<Phase> next = phaseAfter(d, current.state());
      if (next.filter(Phase::isFinal).isPresent()) {
        settle(missionId, made.at(), escalations);
      }
      Set<String> participants = new HashSet<>(current.participants());
      if (d instanceof Decision.Proceed p) {
        participants.add(p.participantId());
      }
      missions.put(missionId, with(current, next.orElse(current.state()), participants, made.at()));
      return;
    }
    if (event instanceof Mission.EscalationResolved r) {
      escalations.computeIfPresent(
          r.escalationId(), (id, e) -> e.resolved(r.resolution().action(), r.resolution().at()));
    }
    Phase phase = current.state();
    if (event instanceof Mission.ApprovalRequested) {
      phase = Phase.AWAITING_APPROVAL;
    } else if (event instanceof Mission.MissionQueued) {
      phase = Phase.QUEUED;
    } else if (event instanceof Mission.OfferAccepted) {
      phase = Phase.RUNNING;
    } else if (event instanceof Mission.HeartbeatRecorded && current.state() == Phase.OFFERED) {
      phase = Phase.RUNNING;
    }
    missions.put(missionId, with(current, phase, current.participants(), at(event, current)));
  }

  /** The phase a decision moves a mission to (as {@code MissionState.decided} does). */
  static Optional<Phase> phaseAfter(Decision d, Phase current) {
    if (d instanceof Decision.Proceed) {
      return Optional.of(Phase.OFFERED);
    }
    if (d instanceof Decision.Split) {
      return Optional.of(Phase.SPLIT);
    }
    if (d instanceof Decision.Retry) {
      return Optional.of(Phase.RETRYING);
    }
    if (d instanceof Decision.Escalate) {
      return Optional.of(Phase.ESCALATED);
    }
    if (d instanceof Decision.StandDown s) {
      return s.ends();
    }
    if (d instanceof Decision.Complete) {
      return Optional.of(Phase.SUCCEEDED);
    }
    return Optional.of(Phase.FAILED);
  }

  /** A mission that ended settles its open escalations (their ids are {@code <mission>.e<n>}). */
  private static void settle(
      String missionId, Instant at, NavigableMap<String, EscalationSummary> escalations) {
    escalations
        .subMap(missionId + ".e", true, missionId + ".e\uffff", true)
        .replaceAll((id, e) -> e.open() ? e.resolved(Escalation.Action.SETTLED, at) : e);
  }

  private static MissionSummary with(
      MissionSummary s, Phase phase, Set<String> participants, Instant at) {
    return new MissionSummary(
        s.id(),
        s.workspace(),
        s.title(),
        phase,
        s.parentId(),
        participants,
        s.spec(),
        s.submittedAt(),
        at);
  }

  private static Instant at(Mission.Event event, MissionSummary current) {
    if (event instanceof Mission.OfferAccepted e) {
      return e.at();
    }
    if (event instanceof Mission.MissionQueued e) {
      return e.at();
    }
    if (event instanceof Mission.ApprovalRequested e) {
      return e.at();
    }
    if (event instanceof Mission.HeartbeatRecorded e) {
      return e.at();
    }
    return current.updatedAt();
  }
}
