package dev.muster.api.missions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.muster.api.http.ApiException;
import dev.muster.api.http.Fields;
import dev.muster.config.json.Json;
import dev.muster.config.money.Amount;
import dev.muster.coordinator.directory.EscalationSummary;
import dev.muster.coordinator.directory.MissionHistory;
import dev.muster.coordinator.directory.MissionSummary;
import dev.muster.coordinator.mission.CoordinatorSettings;
import dev.muster.coordinator.model.Attempt;
import dev.muster.coordinator.model.Escalation;
import dev.muster.coordinator.model.MissionSpec;
import dev.muster.coordinator.model.MissionSpec.ChildSpec;
import dev.muster.coordinator.model.MissionSpec.JoinMode;
import dev.muster.coordinator.model.MissionState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** The mission API's request and response bodies (snake_case on the wire), and their checks. */
final class MissionApi {
  private MissionApi() {}

  private static final int MAX_CHILDREN = 100;
  private static final int MAX_PRIORITY = 1000;
  private static final int MAX_ATTEMPTS = 100;
  private static final long MAX_MILLIS = 7L * 24 * 3600 * 1000;

  // Requests

  record SubmitRequest(
      String workspace,
      String title,
      List<String> requiredCapabilities,
      List<String> requiredRoles,
      String requiredRole,
      JsonNode input,
      SpecBody spec,
      RetryBody retryPolicy,
      TimeoutsBody timeouts,
      SplitBody split,
      BudgetBody budget,
      ApprovalPolicyBody approvalPolicy,
      Integer priority) {

    MissionSpec toSpec(CoordinatorSettings defaults) {
      Set<String> roles = new TreeSet<>(Fields.names("required_roles", requiredRoles));
      if (requiredRole != null) {
        roles.add(Fields.name("required_role", requiredRole));
      }
      return new MissionSpec(
          Fields.name("workspace", workspace),
          Fields.text("title", title, true),
          Optional.ofNullable(spec).map(SpecBody::toRef),
          Fields.names("required_capabilities", requiredCapabilities),
          roles,
          input == null ? NullNode.instance : input,
          retryPolicy == null ? defaults.defaultRetryPolicy() : retryPolicy.toPolicy(defaults),
          timeouts == null ? defaults.defaultTimeouts() : timeouts.toTimeouts(defaults),
          Optional.ofNullable(split).map(SplitBody::toPlan),
          Optional.ofNullable(budget).map(BudgetBody::toRef),
          approvalPolicy != null && Boolean.TRUE.equals(approvalPolicy.required()),
          Optional.empty(),
          checkedPriority("priority", priority).orElse(0));
    }
  }

  record SpecBody(String specId, String specVersion) {
    MissionSpec.SpecRef toRef() {
      return new MissionSpec.SpecRef(
          Fields.name("spec.spec_id", specId), Fields.name("spec.spec_version", specVersion));
    }
  }

  record RetryBody(
      Integer maxAttempts,
      Long initialBackoffMs,
      Double multiplier,
      Long maxBackoffMs,
      List<String> retryableErrorKinds) {
    MissionSpec.RetryPolicy toPolicy(CoordinatorSettings defaults) {
      MissionSpec.RetryPolicy d = defaults.defaultRetryPolicy();
      int max = maxAttempts == null ? d.maxAttempts() : maxAttempts;
      if (max < 1 || max > MAX_ATTEMPTS) {
        throw ApiException.invalid(
            "retry_policy.max_attempts must be between 1 and " + MAX_ATTEMPTS + ", got " + max);
      }
      double m = multiplier == null ? d.multiplier() : multiplier;
      if (m < 1 || m > 10) {
        throw ApiException.invalid("retry_policy.multiplier must be between 1 and 10, got " + m);
      }
      return new MissionSpec.RetryPolicy(
          max,
          millis("retry_policy.initial_backoff_ms", initialBackoffMs, d.initialBackoffMs(), true),
          m,
          millis("retry_policy.max_backoff_ms", maxBackoffMs, d.maxBackoffMs(), true),
          Fields.names("retry_policy.retryable_error_kinds", retryableErrorKinds));
    }
  }

  record TimeoutsBody(
      Long scheduleToStartMs, Long startToCloseMs, Long heartbeatMs, Long maxQueueMs) {
    MissionSpec.Timeouts toTimeouts(CoordinatorSettings defaults) {
      MissionSpec.Timeouts d = defaults.defaultTimeouts();
      return new MissionSpec.Timeouts(
          millis("timeouts.schedule_to_start_ms", scheduleToStartMs, d.scheduleToStartMs(), false),
          millis("timeouts.start_to_close_ms", startToCloseMs, d.startToCloseMs(), false),
          millis("timeouts.heartbeat_ms", heartbeatMs, d.heartbeatMs(), false),
          Optional.ofNullable(maxQueueMs)
              .map(ms -> millis("timeouts.max_queue_ms", ms, ms, false)));
    }
  }

  record SplitBody(String join, List<ChildBody> children) {
    MissionSpec.SplitPlan toPlan() {
      if (children == null || children.isEmpty() || children.size() > MAX_CHILDREN) {
        throw ApiException.invalid(
            "split.children must have between 1 and " + MAX_CHILDREN + " children");
      }
      JoinMode mode;
      try {
        mode = JoinMode.parse(join == null ? "all" : join);
      } catch (IllegalArgumentException e) {
        throw ApiException.invalid("split." + e.getMessage());
      }
      if (mode.needed(children.size()) > children.size()) {
        throw ApiException.invalid(
            "split.join "
                + mode.wire()
                + " needs more children than the "
                + children.size()
                + " given");
      }
      List<ChildSpec> specs = new ArrayList<>();
      for (int i = 0; i < children.size(); i++) {
        specs.add(children.get(i).toSpec("split.children[" + i + "]."));
      }
      return new MissionSpec.SplitPlan(mode, specs);
    }
  }

  record ChildBody(
      String title,
      List<String> requiredCapabilities,
      List<String> requiredRoles,
      JsonNode input,
      Integer priority) {
    ChildSpec toSpec(String at) {
      return new ChildSpec(
          Fields.text(at + "title", title, true),
          Fields.names(at + "required_capabilities", requiredCapabilities),
          Fields.names(at + "required_roles", requiredRoles),
          input == null ? NullNode.instance : input,
          checkedPriority(at + "priority", priority));
    }
  }

  /** {@code estimate} is reserved on the budget {@code scope} for each attempt. */
  record BudgetBody(String scope, Amount estimate) {
    MissionSpec.BudgetRef toRef() {
      if (estimate == null || estimate.isZero()) {
        throw ApiException.invalid(
            "budget.estimate must be above 0 (it is reserved for each attempt): " + Amount.RULE);
      }
      return new MissionSpec.BudgetRef(Fields.budgetScope("budget.scope", scope), estimate);
    }
  }

  record ApprovalPolicyBody(Boolean required) {}

  /** What an attempt has used so far (a heartbeat) or in all (complete, fail). */
  record Usage(Amount cost) {
    static Optional<Amount> cost(Usage usage) {
      return usage == null ? Optional.empty() : Optional.ofNullable(usage.cost());
    }
  }

  record HeartbeatRequest(Double progress, Usage usage) {
    Optional<Double> checkedProgress() {
      if (progress == null) {
        return Optional.empty();
      }
      if (progress < 0 || progress > 1) {
        throw ApiException.invalid("progress must be between 0 and 1, got " + progress);
      }
      return Optional.of(progress);
    }
  }

  record CompleteRequest(JsonNode result, Usage usage) {
    JsonNode resultOrNull() {
      return result == null ? NullNode.instance : result;
    }
  }

  record FailRequest(
      String reason,
      Boolean retryable,
      String errorKind,
      String cleanupStatus,
      String recoveryAction,
      Usage usage) {
    Attempt.Failure toFailure() {
      Attempt.CleanupStatus cleanup = Attempt.CleanupStatus.CLEAN;
      if (cleanupStatus != null) {
        try {
          cleanup = Attempt.CleanupStatus.valueOf(cleanupStatus.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw ApiException.invalid(
              "cleanup_status must be clean, partial or needs_recovery; got '"
                  + cleanupStatus
                  + "'");
        }
      }
      return new Attempt.Failure(
          Fields.text("reason", reason, true),
          Boolean.TRUE.equals(retryable),
          Fields.optionalName("error_kind", errorKind),
          cleanup,
          Optional.ofNullable(recoveryAction).map(a -> Fields.text("recovery_action", a, true)));
    }
  }

  record DeclineRequest(String reason) {}

  /**
   * Whom the attempt goes to next: capabilities and roles it does not name stay as the mission
   * requires; a named participant takes it whatever its capabilities.
   */
  record HandoffRequest(
      String targetRole, List<String> targetCapabilities, String targetParticipantId, String note) {
    HandoffRequest {
      if (targetRole == null && targetCapabilities == null && targetParticipantId == null) {
        throw ApiException.invalid(
            "a handoff names target_role, target_capabilities or target_participant_id");
      }
    }

    Optional<String> role() {
      return Fields.optionalName("target_role", targetRole);
    }

    Optional<Set<String>> capabilities() {
      return Optional.ofNullable(targetCapabilities)
          .map(c -> Fields.names("target_capabilities", c));
    }

    Optional<String> participant() {
      return Fields.optionalName("target_participant_id", targetParticipantId);
    }
  }

  record CancelRequest(String reason) {}

  record ApprovalRequest(Boolean granted, String note) {}

  record ResolveRequest(String action, String participantId, String note) {
    Escalation.Action checkedAction() {
      try {
        return Escalation.Action.ofWire(Fields.name("action", action));
      } catch (IllegalArgumentException e) {
        throw ApiException.invalid(e.getMessage());
      }
    }
  }

  // Responses

  record MissionResponse(
      String id,
      String workspace,
      String title,
      String state,
      Optional<MissionSpec.SpecRef> spec,
      Set<String> requiredCapabilities,
      Set<String> requiredRoles,
      JsonNode input,
      MissionSpec.RetryPolicy retryPolicy,
      MissionSpec.Timeouts timeouts,
      Optional<SplitResponse> split,
      Optional<MissionSpec.BudgetRef> budget,
      boolean approvalRequired,
      int priority,
      Optional<MissionState.Approval> approval,
      Optional<String> parentId,
      List<String> children,
      Optional<JsonNode> result,
      List<AttemptResponse> attempts,
      List<DecisionResponse> decisions,
      List<EscalationResponse> escalations,
      List<MissionState.Handoff> handoffs,
      Instant submittedAt,
      Instant updatedAt) {

    static MissionResponse of(MissionState m) {
      MissionSpec s = m.spec();
      return new MissionResponse(
          m.id(),
          s.workspace(),
          s.title(),
          m.phase().wire(),
          s.spec(),
          new TreeSet<>(s.requiredCapabilities()),
          new TreeSet<>(s.requiredRoles()),
          s.input(),
          s.retryPolicy(),
          s.timeouts(),
          s.split().map(p -> new SplitResponse(p.join().wire(), p.children().size())),
          s.budget(),
          s.approvalRequired(),
          s.priority(),
          m.approval(),
          s.parentId(),
          m.children().stream().map(MissionState.Child::id).toList(),
          m.attempts().stream()
              .filter(a -> a.state() == Attempt.State.SUCCEEDED)
              .findFirst()
              .map(Attempt::result),
          m.attempts().stream().map(AttemptResponse::of).toList(),
          m.decisions().stream().map(DecisionResponse::of).toList(),
          m.escalations().stream().map(EscalationResponse::of).toList(),
          m.handoffs(),
          m.submittedAt(),
          m.updatedAt());
    }
  }

  record SplitResponse(String join, int children) {}

  /**
   * What a worker's call about its attempt answers: the mission's state and the attempt, not the
   * whole mission (a worker calls once or more per attempt; operators read the mission).
   */
  record WorkerAnswer(String missionId, String state, Optional<AttemptResponse> attempt) {
    static WorkerAnswer of(MissionState m, int attempt) {
      return new WorkerAnswer(
          m.id(), m.phase().wire(), m.attempt(attempt).map(AttemptResponse::of));
    }
  }

  record AttemptResponse(
      int attempt,
      String participantId,
      String state,
      Instant offeredAt,
      Optional<Instant> acceptedAt,
      Optional<Instant> lastHeartbeat,
      double progress,
      Map<String, Object> usage,
      Optional<Instant> endedAt,
      Optional<String> endReason,
      Optional<Attempt.Failure> failure) {
    static AttemptResponse of(Attempt a) {
      return new AttemptResponse(
          a.number(),
          a.participantId(),
          a.state().wire(),
          a.offeredAt(),
          a.acceptedAt(),
          a.lastHeartbeat(),
          a.progress(),
          Map.of("cost", a.cost()),
          a.endedAt(),
          a.endReason(),
          a.failure());
    }
  }

  record DecisionResponse(String decision, String reason, Map<String, Object> inputs, Instant at) {
    static DecisionResponse of(MissionState.DecisionRecord record) {
      return new DecisionResponse(
          record.decision().kind().wire(),
          record.decision().reason(),
          record.decision().inputs(),
          record.at());
    }
  }

  record EscalationResponse(
      String id,
      String reason,
      String target,
      String state,
      Optional<String> recoveryAction,
      Instant openedAt,
      Optional<Escalation.Resolution> resolution) {
    static EscalationResponse of(Escalation e) {
      return new EscalationResponse(
          e.id(),
          e.reason(),
          e.target(),
          e.open() ? "open" : "resolved",
          e.recoveryAction(),
          e.openedAt(),
          e.resolution());
    }
  }

  record HistoryResponse(String missionId, List<HistoryEntry> events) {
    static HistoryResponse of(String missionId, List<MissionHistory.Entry> entries) {
      return new HistoryResponse(missionId, entries.stream().map(HistoryEntry::of).toList());
    }
  }

  record HistoryEntry(long seq, String type, Instant writtenAt, JsonNode event) {
    static HistoryEntry of(MissionHistory.Entry entry) {
      return new HistoryEntry(
          entry.seq(),
          snake(entry.event().getClass().getSimpleName()),
          entry.writtenAt(),
          Json.mapper().valueToTree(entry.event()));
    }
  }

  record MissionListResponse(List<MissionSummaryResponse> missions, Optional<String> nextCursor) {}

  record MissionSummaryResponse(
      String id,
      String workspace,
      String title,
      String state,
      Optional<String> parentId,
      Set<String> participants,
      Optional<MissionSpec.SpecRef> spec,
      int priority,
      Instant submittedAt,
      Instant updatedAt) {
    static MissionSummaryResponse of(MissionSummary s) {
      return new MissionSummaryResponse(
          s.id(),
          s.workspace(),
          s.title(),
          s.state().wire(),
          s.parentId(),
          new TreeSet<>(s.participants()),
          s.spec(),
          s.priority(),
          s.submittedAt(),
          s.updatedAt());
    }
  }

  record EscalationListResponse(
      List<EscalationSummaryResponse> escalations, Optional<String> nextCursor) {}

  record EscalationSummaryResponse(
      String id,
      String missionId,
      String workspace,
      String reason,
      String target,
      String state,
      Optional<String> recoveryAction,
      Instant openedAt,
      Optional<String> resolvedWith,
      Optional<Instant> resolvedAt) {
    static EscalationSummaryResponse of(EscalationSummary e) {
      return new EscalationSummaryResponse(
          e.id(),
          e.missionId(),
          e.workspace(),
          e.reason(),
          e.target(),
          e.open() ? "open" : "resolved",
          e.recoveryAction(),
          e.openedAt(),
          e.resolvedWith().map(Escalation.Action::wire),
          e.resolvedAt());
    }
  }

  // Checks

  private static Optional<Integer> checkedPriority(String field, Integer value) {
    if (value != null && (value < -MAX_PRIORITY || value > MAX_PRIORITY)) {
      throw ApiException.invalid(
          field + " must be between -" + MAX_PRIORITY + " and " + MAX_PRIORITY + ", got " + value);
    }
    return Optional.ofNullable(value);
  }

  private static long millis(String field, Long value, long fallback, boolean zeroAllowed) {
    long v = value == null ? fallback : value;
    if (v < (zeroAllowed ? 0 : 1) || v > MAX_MILLIS) {
      throw ApiException.invalid(
          field
              + " must be between "
              + (zeroAllowed ? 0 : 1)
              + " and "
              + MAX_MILLIS
              + ", got "
              + v);
    }
    return v;
  }

  private static String snake(String camel) {
    return camel.replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
  }
}
