package dev.muster.coordinator.directory;

import dev.muster.coordinator.model.MissionSpec;
import dev.muster.coordinator.model.Phase;
import dev.muster.runtime.dispatch.Requirements;
import dev.muster.runtime.dispatch.WorkStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What the directory keeps of an unfinished mission to say where it stands towards the participants
 * ({@link #status()}), exactly as the entity's {@code MissionState.workStatus} says it (held
 * against it by {@code DirectoryFoldTest}): a dispatcher that starts or reconciles takes its
 * workspace's open work from here. {@code version} is the sequence number of the last event folded.
 */
record WorkFacts(
    String missionId,
    String workspace,
    Phase phase,
    Requirements requirements,
    int priority,
    Instant submittedAt,
    Duration scheduleToStart,
    Optional<Duration> maxQueueTime,
    List<String> avoid,
    Optional<Instant> waitingSince,
    Optional<Instant> retryAt,
    int attempts,
    Optional<String> participant,
    long version) {

  static WorkFacts submitted(String missionId, MissionSpec spec, Instant at, long version) {
    return new WorkFacts(
        missionId,
        spec.workspace(),
        Phase.PENDING,
        new Requirements(spec.requiredCapabilities(), spec.requiredRoles(), Optional.empty()),
        spec.priority(),
        at,
        spec.timeouts().scheduleToStart(),
        spec.timeouts().maxQueue(),
        List.of(),
        Optional.empty(),
        Optional.empty(),
        0,
        Optional.empty(),
        version);
  }

  WorkStatus status() {
    if (phase.waiting()) {
      return new WorkStatus.Waiting(
          missionId,
          workspace,
          version,
          attempts + 1,
          requirements,
          priority,
          submittedAt,
          retryAt,
          waitingSince.orElse(submittedAt),
          scheduleToStart,
          maxQueueTime,
          avoid);
    }
    if (phase == Phase.OFFERED || phase == Phase.RUNNING) {
      return new WorkStatus.Holding(
          missionId, workspace, version, attempts, participant.orElseThrow());
    }
    return new WorkStatus.Idle(missionId, workspace, version);
  }

  WorkFacts in(Phase next, long at) {
    return new WorkFacts(
        missionId,
        workspace,
        next,
        requirements,
        priority,
        submittedAt,
        scheduleToStart,
        maxQueueTime,
        avoid,
        waitingSince,
        retryAt,
        attempts,
        participant,
        at);
  }

  WorkFacts waiting(
      Phase next, Instant since, Optional<Instant> notBefore, List<String> avoiding, long at) {
    return new WorkFacts(
        missionId,
        workspace,
        next,
        requirements,
        priority,
        submittedAt,
        scheduleToStart,
        maxQueueTime,
        avoiding,
        Optional.of(since),
        notBefore,
        attempts,
        participant,
        at);
  }

  WorkFacts offered(String to, long at) {
    return new WorkFacts(
        missionId,
        workspace,
        Phase.OFFERED,
        requirements,
        priority,
        submittedAt,
        scheduleToStart,
        maxQueueTime,
        avoid,
        Optional.empty(),
        Optional.empty(),
        attempts + 1,
        Optional.of(to),
        at);
  }

  WorkFacts requiring(Requirements next, long at) {
    return new WorkFacts(
        missionId,
        workspace,
        phase,
        next,
        priority,
        submittedAt,
        scheduleToStart,
        maxQueueTime,
        avoid,
        waitingSince,
        retryAt,
        attempts,
        participant,
        at);
  }

  /** Out of the backlog without a participant (escalated): no longer waiting. */
  WorkFacts stopped(Phase next, long at) {
    return new WorkFacts(
        missionId,
        workspace,
        next,
        requirements,
        priority,
        submittedAt,
        scheduleToStart,
        maxQueueTime,
        avoid,
        Optional.empty(),
        Optional.empty(),
        attempts,
        participant,
        at);
  }
}
