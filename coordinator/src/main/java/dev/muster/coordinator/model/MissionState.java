package dev.muster.coordinator.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.muster.config.CborSerializable;
import dev.muster.config.Rejection;
import dev.muster.config.money.Amount;
import dev.muster.runtime.dispatch.Requirements;
import dev.muster.runtime.dispatch.WorkStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Everything known about a submitted mission. Immutable: each method returns the state after one
 * fact or decision, and refuses ({@link IllegalStateException}) what the transition table forbids.
 */
public record MissionState(
    String id,
    MissionSpec spec,
    Phase phase,
    Requirements requirements,
    List<Attempt> attempts,
    List<DecisionRecord> decisions,
    List<Escalation> escalations,
    List<Child> children,
    List<Handoff> handoffs,
    Optional<Approval> approval,
    Optional<Instant> waitingSince,
    Optional<Instant> retryAt,
    List<String> avoid,
    int forgivenFailures,
    Instant submittedAt,
    Instant updatedAt)
    implements CborSerializable {

  /** A decision as it stands in the log. */
  public record DecisionRecord(Decision decision, Instant at) {}

  /** A child of a split, and the last outcome it reported (none yet: still working). */
  public record Child(String id, Optional<Phase> outcome) {}

  /** A worker handed its attempt on: to whom (by requirements or by name), and why. */
  public record Handoff(int attempt, String from, Requirements to, String note, Instant at) {}

  /** An operator's answer to the mission's approval gate. */
  /**
   * An approval or refusal: {@code by} the token subject, {@code byDevice} the registered name of
   * the phone it came from (empty otherwise, and in events of older releases).
   */
  public record Approval(
      boolean granted, String note, String by, Instant at, Optional<String> byDevice) {
    @JsonCreator
    public Approval {
      byDevice = byDevice == null ? Optional.empty() : byDevice;
    }

    public Approval(boolean granted, String note, String by, Instant at) {
      this(granted, note, by, at, Optional.empty());
    }
  }

  public MissionState {
    attempts = List.copyOf(attempts);
    decisions = List.copyOf(decisions);
    escalations = List.copyOf(escalations);
    children = List.copyOf(children);
    handoffs = List.copyOf(handoffs);
    avoid = List.copyOf(avoid);
  }

  public static MissionState submitted(String id, MissionSpec spec, Instant at) {
    return new MissionState(
        id,
        spec,
        Phase.PENDING,
        new Requirements(spec.requiredCapabilities(), spec.requiredRoles(), Optional.empty()),
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        List.of(),
        0,
        at,
        at);
  }

  // Reading

  public Optional<Attempt> currentAttempt() {
    return attempts.isEmpty() ? Optional.empty() : Optional.of(attempts.get(attempts.size() - 1));
  }

  public Optional<Attempt> activeAttempt() {
    return currentAttempt().filter(Attempt::active);
  }

  public Optional<Attempt> attempt(int number) {
    return attempts.stream().filter(a -> a.number() == number).findFirst();
  }

  public int nextAttemptNumber() {
    return attempts.size() + 1;
  }

  /** Failed attempts since an operator last asked for a fresh round of retries. */
  public int failures() {
    return (int) attempts.stream().filter(Attempt::countsAsFailure).count() - forgivenFailures;
  }

  public Optional<Escalation> escalation(String escalationId) {
    return escalations.stream().filter(e -> e.id().equals(escalationId)).findFirst();
  }

  public Optional<Escalation> openEscalation() {
    return escalations.stream().filter(Escalation::open).reduce((a, b) -> b);
  }

  public Optional<Child> child(String childId) {
    return children.stream().filter(c -> c.id().equals(childId)).findFirst();
  }

  /** The id the next escalation gets. */
  public String nextEscalationId() {
    return id + ".e" + (escalations.size() + 1);
  }

  /** The children that have not reached a final outcome yet. */
  public List<String> unfinishedChildren() {
    return children.stream()
        .filter(c -> c.outcome().filter(Phase::isFinal).isEmpty())
        .map(Child::id)
        .toList();
  }

  /**
   * Where the mission stands towards the participants of its workspace, after the event with
   * sequence number {@code version}: waiting for one (queued, or retrying: not before its backoff
   * ends), holding one (its current attempt is offered or running), or neither.
   */
  public WorkStatus workStatus(long version) {
    if (phase.waiting()) {
      return new WorkStatus.Waiting(
          id,
          spec.workspace(),
          version,
          nextAttemptNumber(),
          requirements,
          spec.priority(),
          submittedAt,
          retryAt,
          waitingSince.orElse(submittedAt),
          spec.timeouts().scheduleToStart(),
          spec.timeouts().maxQueue(),
          avoid);
    }
    if (phase == Phase.OFFERED || phase == Phase.RUNNING) {
      Attempt current = currentAttempt().orElseThrow();
      return new WorkStatus.Holding(
          id, spec.workspace(), version, current.number(), current.participantId());
    }
    return new WorkStatus.Idle(id, spec.workspace(), version);
  }

  /**
   * Whether the mission is waiting for a participant to take attempt {@code attempt} (an offer of
   * any other attempt is stale).
   */
  public boolean waitsFor(int attempt) {
    return phase.waiting() && attempt == nextAttemptNumber();
  }

  /** Why escalation {@code escalationId} cannot be resolved with {@code action}, if it cannot. */
  public Optional<Rejection> refusalToResolve(
      String escalationId, Escalation.Action action, Optional<NamedParticipant> participant) {
    if (action == Escalation.Action.REASSIGN) {
      if (participant.isEmpty()) {
        return Optional.of(Rejection.invalid("reassign needs participant_id"));
      }
      Optional<Rejection> stranger = participant.get().refusalFor(spec.workspace());
      if (stranger.isPresent()) {
        return stranger;
      }
    } else if (participant.isPresent()) {
      return Optional.of(
          Rejection.invalid("participant_id goes with reassign only, not " + action.wire()));
    }
    Optional<Escalation> escalation = escalation(escalationId);
    if (escalation.isEmpty()) {
      return Optional.of(Rejection.notFound("escalation " + escalationId + " does not exist"));
    }

    Escalation e = escalation.get();
    if (!e.open()) {
      return Optional.of(
          Rejection.of(
              Rejection.Code.ALREADY_RESOLVED,
              "escalation "
                  + escalationId
                  + " was already resolved with "
                  + e.resolution().orElseThrow().action().wire()));
    }
    boolean anotherTry =
        switch (action) {
          case RETRY, RAISE_BUDGET, REASSIGN, CONFIRM_RECOVERY -> true;
          default -> false;
        };
    if (anotherTry && !children.isEmpty()) {
      return Optional.of(
          Rejection.conflict(
              "mission "
                  + id
                  + " waits on its children: resolve the child's escalation, or cancel or"
                  + " accept_failure here"));
    }
    if (action == Escalation.Action.CONFIRM_RECOVERY && e.recoveryAction().isEmpty()) {
      return Optional.of(
          Rejection.conflict("escalation " + escalationId + " has no recovery action to confirm"));
    }
    return Optional.empty();
  }

  /** Participants of attempts that did not work out, whom a retry prefers to avoid. */
  public List<String> participantsThatFailed() {
    return attempts.stream()
        .filter(a -> !a.active() && a.state() != Attempt.State.SUCCEEDED)
        .map(Attempt::participantId)
        .distinct()
        .toList();
  }

  // Facts

  public MissionState awaitingApproval(Instant at) {
    return moveTo(Phase.AWAITING_APPROVAL, at);
  }

  public MissionState approvalGiven(Approval answer) {
    return edit(answer.at(), s -> s.approval = Optional.of(answer));
  }

  public MissionState queued(Instant at) {
    return edit(at, s -> s.waitingSince = Optional.of(at)).moveTo(Phase.QUEUED, at);
  }

  public MissionState accepted(int number, Instant at) {
    return withAttempt(number, a -> a.accepted(at), at).moveTo(Phase.RUNNING, at);
  }

  public MissionState heartbeat(
      int number, Optional<Double> progress, Optional<Amount> cost, Instant at) {
    MissionState next = withAttempt(number, a -> a.heartbeat(progress, cost, at), at);
    return phase == Phase.OFFERED ? next.moveTo(Phase.RUNNING, at) : next;
  }

  public MissionState succeeded(int number, JsonNode result, Optional<Amount> cost, Instant at) {
    return withAttempt(number, a -> a.succeeded(result, cost, at), at);
  }

  public MissionState failed(
      int number, Attempt.Failure failure, Optional<Amount> cost, Instant at) {
    return withAttempt(number, a -> a.failed(failure, cost, at), at);
  }

  /** The attempt never started: refused by the inbox or declined by the worker. */
  public MissionState withdrawn(int number, String reason, Instant at) {
    return withAttempt(number, a -> a.ended(Attempt.State.WITHDRAWN, reason, at), at);
  }

  public MissionState handedOff(Handoff handoff) {
    return withAttempt(
            handoff.attempt(),
            a -> a.ended(Attempt.State.HANDED_OFF, "handed off: " + handoff.note(), handoff.at()),
            handoff.at())
        .edit(
            handoff.at(),
            s -> {
              s.requirements = handoff.to();
              s.handoffs.add(handoff);
            });
  }

  public MissionState childReported(String childId, Phase outcome, Instant at) {
    return edit(
        at,
        s ->
            s.children.replaceAll(
                c -> c.id().equals(childId) ? new Child(childId, Optional.of(outcome)) : c));
  }

  /**
   * An operator resolved an escalation. Asking for another try (retry, reassign, raise the budget,
   * confirm the recovery) grants a fresh round of attempts; a reassignment names the participant.
   */
  public MissionState escalationResolved(String escalationId, Escalation.Resolution how) {
    boolean freshRound =
        switch (how.action()) {
          case RETRY, REASSIGN, RAISE_BUDGET, CONFIRM_RECOVERY -> true;
          default -> false;
        };
    int failures = failures();
    return edit(
        how.at(),
        s -> {
          s.escalations.replaceAll(e -> e.id().equals(escalationId) ? e.resolved(how) : e);
          if (freshRound) {
            s.forgivenFailures += failures;
          }
          if (how.action() == Escalation.Action.REASSIGN) {
            s.requirements =
                new Requirements(
                    requirements.capabilities(), requirements.roles(), how.participantId());
          }
        });
  }

  // Decisions

  public MissionState decided(Decision decision, Instant at) {
    return edit(at, s -> s.decisions.add(new DecisionRecord(decision, at))).apply(decision, at);
  }

  private MissionState apply(Decision decision, Instant at) {
    if (decision instanceof Decision.Proceed p) {
      return edit(
              at,
              s -> {
                s.attempts.add(Attempt.offered(p.attempt(), p.participantId(), at));
                s.waitingSince = Optional.empty();
                s.retryAt = Optional.empty();
              })
          .moveTo(Phase.OFFERED, at);
    }
    if (decision instanceof Decision.Split split) {
      return edit(
              at,
              s -> split.children().forEach(c -> s.children.add(new Child(c, Optional.empty()))))
          .moveTo(Phase.SPLIT, at);
    }
    if (decision instanceof Decision.Retry r) {
      Instant due = at.plus(Duration.ofMillis(r.backoffMs()));
      return edit(
              at,
              s -> {
                s.waitingSince = Optional.of(due);
                s.retryAt = Optional.of(due);
                s.avoid = new ArrayList<>(r.avoid());
              })
          .moveTo(Phase.RETRYING, at);
    }
    if (decision instanceof Decision.Escalate e) {
      Escalation opened =
          new Escalation(
              e.escalationId(), e.reason(), e.target(), e.recoveryAction(), at, Optional.empty());
      return edit(
              at,
              s -> {
                s.escalations.add(opened);
                s.waitingSince = Optional.empty();
                s.retryAt = Optional.empty();
              })
          .moveTo(Phase.ESCALATED, at);
    }
    if (decision instanceof Decision.StandDown d) {
      MissionState next = this;
      for (int number : d.attempts()) {
        if (attemptOrThrow(number).active()) {
          next =
              next.withAttempt(number, a -> a.ended(Attempt.State.STOOD_DOWN, d.reason(), at), at);
        }
      }
      return d.ends().isPresent() ? next.settle(d.ends().get(), at) : next;
    }
    if (decision instanceof Decision.Complete) {
      return settle(Phase.SUCCEEDED, at);
    }
    return settle(Phase.FAILED, at);
  }

  /** Ends the mission in a final phase; escalations still open are settled by that outcome. */
  private MissionState settle(Phase end, Instant at) {
    Escalation.Resolution settled =
        new Escalation.Resolution(
            Escalation.Action.SETTLED,
            Optional.empty(),
            "the mission ended " + end.wire(),
            "coordinator",
            at);
    return edit(
            at,
            s -> {
              s.escalations.replaceAll(e -> e.open() ? e.resolved(settled) : e);
              s.waitingSince = Optional.empty();
              s.retryAt = Optional.empty();
            })
        .moveTo(end, at);
  }

  // Helpers

  private Attempt attemptOrThrow(int number) {
    return attempt(number)
        .orElseThrow(
            () -> new IllegalStateException("mission " + id + " has no attempt " + number));
  }

  private MissionState withAttempt(
      int number, java.util.function.UnaryOperator<Attempt> change, Instant at) {
    Attempt changed = change.apply(attemptOrThrow(number));
    return edit(at, s -> s.attempts.replaceAll(a -> a.number() == number ? changed : a));
  }

  private MissionState moveTo(Phase next, Instant at) {
    if (!phase.canMoveTo(next)) {
      throw new IllegalStateException(
          "mission " + id + " cannot move from " + phase.wire() + " to " + next.wire());
    }
    return edit(at, s -> s.phase = next);
  }

  /** Copies this state, lets {@code change} edit the copy, and stamps it with {@code at}. */
  private MissionState edit(Instant at, Consumer<Editor> change) {
    Editor editor = new Editor(this);
    change.accept(editor);
    return editor.build(at);
  }

  /** A mutable copy used only inside the transition methods above. */
  private static final class Editor {
    private final MissionState from;
    Phase phase;
    Requirements requirements;
    final List<Attempt> attempts;
    final List<DecisionRecord> decisions;
    final List<Escalation> escalations;
    final List<Child> children;
    final List<Handoff> handoffs;
    Optional<Approval> approval;
    Optional<Instant> waitingSince;
    Optional<Instant> retryAt;
    List<String> avoid;
    int forgivenFailures;

    Editor(MissionState s) {
      from = s;
      phase = s.phase;
      requirements = s.requirements;
      attempts = new ArrayList<>(s.attempts);
      decisions = new ArrayList<>(s.decisions);
      escalations = new ArrayList<>(s.escalations);
      children = new ArrayList<>(s.children);
      handoffs = new ArrayList<>(s.handoffs);
      approval = s.approval;
      waitingSince = s.waitingSince;
      retryAt = s.retryAt;
      avoid = s.avoid;
      forgivenFailures = s.forgivenFailures;
    }

    MissionState build(Instant at) {
      return new MissionState(
          from.id,
          from.spec,
          phase,
          requirements,
          attempts,
          decisions,
          escalations,
          children,
          handoffs,
          approval,
          waitingSince,
          retryAt,
          avoid,
          forgivenFailures,
          from.submittedAt,
          at);
    }
  }
}
