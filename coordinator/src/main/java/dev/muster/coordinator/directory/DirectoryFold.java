package dev.muster.coordinator.directory;

import dev.muster.coordinator.mission.Mission;
import dev.muster.coordinator.model.Decision;
import dev.muster.coordinator.model.Escalation;
import dev.muster.coordinator.model.Phase;
import dev.muster.runtime.dispatch.Requirements;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;

/**
 * How one mission event changes the directory: the mission's summary (its state follows the same
 * transitions as the entity's), the operators' escalation queue, and, while the mission is
 * unfinished, the {@link WorkFacts} its dispatcher may need. Pure but for the maps it is given to
 * change; {@code DirectoryFoldTest} holds it against the entity.
 */
final class DirectoryFold {
  private DirectoryFold() {}

  /** What the directory folds into. */
  record Maps(
      Map<String, MissionSummary> missions,
      NavigableMap<String, EscalationSummary> escalations,
      Map<String, WorkFacts> open) {}

  static void apply(String missionId, long seq, Mission.Event event, Maps maps) {
    if (event instanceof Mission.MissionSubmitted s) {
      if (maps.missions().containsKey(missionId)) {
        return;
      }
      maps.missions()
          .put(
              missionId,
              new MissionSummary(
                  missionId,
                  s.spec().workspace(),
                  s.spec().title(),
                  Phase.PENDING,
                  s.spec().parentId(),
                  Set.of(),
                  s.spec().spec(),
                  s.spec().priority(),
                  s.at(),
                  s.at(),
                  seq));
      maps.open().put(missionId, WorkFacts.submitted(missionId, s.spec(), s.at(), seq));
      return;
    }
    MissionSummary current = maps.missions().get(missionId);
    if (current == null) {
      return; // its submission is older than what this node has seen: nothing to change
    }
    WorkFacts facts = maps.open().get(missionId);
    if (event instanceof Mission.DecisionMade made) {
      Decision d = made.decision();
      if (d instanceof Decision.Escalate e) {
        maps.escalations()
            .put(
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
        settle(missionId, made.at(), maps.escalations());
      }
      Set<String> participants = new HashSet<>(current.participants());
      if (d instanceof Decision.Proceed p) {
        participants.add(p.participantId());
      }
      Phase phase = next.orElse(current.state());
      maps.missions().put(missionId, current.with(phase, participants, made.at(), seq));
      if (facts != null) {
        track(missionId, decided(facts, d, phase, made.at(), seq), maps);
      }
      return;
    }
    if (event instanceof Mission.EscalationResolved r) {
      maps.escalations()
          .computeIfPresent(
              r.escalationId(),
              (id, e) -> e.resolved(r.resolution().action(), r.resolution().at()));
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
    maps.missions()
        .put(missionId, current.with(phase, current.participants(), at(event, current), seq));
    if (facts != null) {
      track(missionId, fact(facts, event, phase, seq), maps);
    }
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

  /** The work facts after a decision (as {@code MissionState.decided} changes them). */
  private static WorkFacts decided(WorkFacts facts, Decision d, Phase phase, Instant at, long seq) {
    if (d instanceof Decision.Proceed p) {
      return facts.offered(p.participantId(), seq);
    }
    if (d instanceof Decision.Retry r) {
      Instant due = at.plus(Duration.ofMillis(r.backoffMs()));
      return facts.waiting(Phase.RETRYING, due, Optional.of(due), r.avoid(), seq);
    }
    if (d instanceof Decision.Escalate || phase.isFinal()) {
      return facts.stopped(phase, seq);
    }
    return facts.in(phase, seq);
  }

  /** The work facts after a fact (as the entity's event handler changes them). */
  private static WorkFacts fact(WorkFacts facts, Mission.Event event, Phase phase, long seq) {
    if (event instanceof Mission.MissionQueued q) {
      return facts.waiting(Phase.QUEUED, q.at(), facts.retryAt(), facts.avoid(), seq);
    }
    if (event instanceof Mission.AttemptHandedOff h) {
      return facts.requiring(h.handoff().to(), seq).in(phase, seq);
    }
    if (event instanceof Mission.EscalationResolved r
        && r.resolution().action() == Escalation.Action.REASSIGN) {
      Requirements now = facts.requirements();
      return facts
          .requiring(
              new Requirements(now.capabilities(), now.roles(), r.resolution().participantId()),
              seq)
          .in(phase, seq);
    }
    return facts.in(phase, seq);
  }

  private static void track(String missionId, WorkFacts facts, Maps maps) {
    if (facts.phase().isFinal()) {
      maps.open().remove(missionId);
    } else {
      maps.open().put(missionId, facts);
    }
  }

  /** A mission that ended settles its open escalations (their ids are {@code <mission>.e<n>}). */
  private static void settle(
      String missionId, Instant at, NavigableMap<String, EscalationSummary> escalations) {
    escalations
        .subMap(missionId + ".e", true, missionId + ".e\uffff", true)
        .replaceAll((id, e) -> e.open() ? e.resolved(Escalation.Action.SETTLED, at) : e);
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
