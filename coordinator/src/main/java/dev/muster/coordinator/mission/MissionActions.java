package dev.muster.coordinator.mission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.muster.config.Rejection;
import dev.muster.config.json.Json;
import dev.muster.coordinator.model.Attempt;
import dev.muster.coordinator.model.Escalation;
import dev.muster.coordinator.model.MissionSpec;
import dev.muster.coordinator.model.MissionState;
import dev.muster.coordinator.model.Phase;
import dev.muster.registry.inbox.Inbox;
import dev.muster.runtime.budget.Budget;
import dev.muster.runtime.dispatch.WorkStatus;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * What a mission does in the world once its decisions are journaled: reserves its budget and places
 * the offer, commits what ended attempts used, tells workers to stand down, submits and cancels its
 * children, reports to its parent, tells the dispatcher where it stands. Every action is idempotent
 * (message ids and budget keys derive from the mission and attempt), so the mission simply acts
 * again after a restart; answers come back to the mission as commands ({@code pipeToSelf}).
 */
final class MissionActions {
  private final String missionId;
  private final ActorContext<Mission.Command> context;
  private final MissionLinks links;

  MissionActions(String missionId, ActorContext<Mission.Command> context, MissionLinks links) {
    this.missionId = missionId;
    this.context = context;
    this.links = links;
  }

  /** Reserves the mission's estimate (when it has a budget), then places the current offer. */
  void placeOffer(MissionState mission) {
    Attempt attempt = mission.currentAttempt().orElseThrow();
    Inbox.Draft draft =
        new Inbox.Draft(
            offerMessageId(missionId, attempt.number()),
            Inbox.MessageType.TASK_OFFER,
            missionId,
            attempt.number(),
            offerPayload(mission));
    String participant = attempt.participantId();
    int number = attempt.number();
    CompletionStage<Mission.Command> placed =
        reserve(mission, draft.messageId())
            .thenCompose(
                denied ->
                    denied.isPresent()
                        ? CompletableFuture.completedFuture(
                            (Mission.Command)
                                new Mission.ReservationDenied(number, participant, denied.get()))
                        : links
                            .inboxes()
                            .place(participant, draft)
                            .thenApply(
                                result -> new Mission.OfferPlaced(number, participant, result)));
    context.pipeToSelf(
        placed,
        (command, failure) ->
            failure == null
                ? command
                : new Mission.OfferUnanswered(number, participant, failure.toString()));
  }

  /**
   * Commits what an ended attempt used against its reservation (a reservation that was never made
   * answers with a refusal: nothing to settle). Idempotent by key; tried again when unanswered.
   */
  void settle(MissionState mission, Attempt attempt) {
    Optional<MissionSpec.BudgetRef> budget = mission.spec().budget();
    if (budget.isEmpty()) {
      return;
    }
    context.pipeToSelf(
        links
            .budgets()
            .commit(
                budget.get().scope(), offerMessageId(missionId, attempt.number()), attempt.cost()),
        (committed, failure) ->
            failure == null || Rejection.of(failure).isPresent()
                ? Mission.PeerAnswered.INSTANCE
                : new Mission.BudgetUnsettled(attempt.number(), failure.toString()));
  }

  /**
   * Tells a participant to stop an attempt. Best effort: if this message is lost, the worker's next
   * heartbeat or report is answered {@code stale_attempt}, which tells it the same.
   */
  void tellToStandDown(Attempt attempt, String reason) {
    ObjectNode payload = Json.mapper().createObjectNode().put("reason", reason);
    links
        .inboxes()
        .place(
            attempt.participantId(),
            new Inbox.Draft(
                offerMessageId(missionId, attempt.number()) + ".stand-down",
                Inbox.MessageType.STAND_DOWN,
                missionId,
                attempt.number(),
                payload));
  }

  /**
   * An operator confirmed an escalation's recovery action: ask the participant to carry it out
   * (placed again while the inbox does not answer; the message id makes a repeat harmless).
   */
  void requestRecovery(MissionState mission, String escalationId) {
    Escalation escalation = mission.escalation(escalationId).orElseThrow();
    mission.attempts().stream()
        .filter(a -> a.failure().filter(f -> f.recoveryAction().isPresent()).isPresent())
        .reduce((a, b) -> b)
        .ifPresent(
            attempt -> {
              ObjectNode payload =
                  Json.mapper()
                      .createObjectNode()
                      .put("escalation_id", escalationId)
                      .put("recovery_action", escalation.recoveryAction().orElse(""));
              context.pipeToSelf(
                  links
                      .inboxes()
                      .place(
                          attempt.participantId(),
                          new Inbox.Draft(
                              escalationId + ".recovery",
                              Inbox.MessageType.RECOVERY_REQUESTED,
                              missionId,
                              attempt.number(),
                              payload)),
                  (placed, failure) ->
                      failure == null || Rejection.of(failure).isPresent()
                          ? Mission.PeerAnswered.INSTANCE
                          : new Mission.RecoveryUnplaced(escalationId, failure.toString()));
            });
  }

  void submitChildren(MissionState mission) {
    List<MissionState.Child> children = mission.children();
    for (int i = 0; i < children.size(); i++) {
      MissionState.Child child = children.get(i);
      if (child.outcome().filter(Phase::isFinal).isEmpty()) {
        callPeer(
            links.peers().submit(child.id(), mission.spec().child(missionId, i)),
            state -> new Mission.ChildSeen(child.id(), state.phase()));
      }
    }
  }

  void cancelChild(String childId, String reason) {
    callPeer(
        links.peers().cancel(childId, reason),
        state -> new Mission.ChildSeen(childId, state.phase()));
  }

  /** A mission that ended (or escalated) tells its parent. */
  void reportToParent(MissionState mission) {
    Optional<String> parent = mission.spec().parentId();
    boolean worthTelling = mission.phase().isFinal() || mission.phase() == Phase.ESCALATED;
    if (parent.isPresent() && worthTelling) {
      callPeer(
          links.peers().report(parent.get(), missionId, mission.phase()),
          state -> Mission.PeerAnswered.INSTANCE);
    }
  }

  /**
   * Submits unfinished children while they are needed; once the mission ended (however: a `first`
   * join's winner leaves siblings nobody needs), cancels those still unfinished; reports upwards.
   */
  void callPeers(MissionState mission) {
    if (mission.phase() == Phase.SPLIT || mission.phase() == Phase.ESCALATED) {
      submitChildren(mission);
    }
    if (mission.phase().isFinal()) {
      mission
          .unfinishedChildren()
          .forEach(child -> cancelChild(child, "the parent ended " + mission.phase().wire()));
    }
    reportToParent(mission);
  }

  /** Tells the workspace's dispatcher where the mission stands. */
  void tellDispatcher(WorkStatus status) {
    links.dispatcher().accept(status);
  }

  /** The offer's message id: the same for the same attempt, so placing it again is harmless. */
  static String offerMessageId(String missionId, int attempt) {
    return missionId + ".a" + attempt;
  }

  /**
   * Reserves the mission's estimate for an offer before it goes out (nothing to do without a
   * budget); completes with the reason when the budget denies it.
   */
  private CompletionStage<Optional<String>> reserve(MissionState mission, String key) {
    Optional<MissionSpec.BudgetRef> budget = mission.spec().budget();
    if (budget.isEmpty()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return links
        .budgets()
        .reserve(
            budget.get().scope(),
            key,
            budget.get().estimate(),
            missionId,
            mission.spec().workspace())
        .thenApply(
            result ->
                result instanceof Budget.Denied denied
                    ? Optional.of(denied.reason())
                    : Optional.<String>empty());
  }

  private void callPeer(
      CompletionStage<MissionState> call, Function<MissionState, Mission.Command> onAnswer) {
    context.pipeToSelf(
        call,
        (state, failure) -> {
          if (failure == null) {
            return onAnswer.apply(state);
          }
          if (Rejection.of(failure).isPresent()) {
            // A refusal is the peer's answer (a child that was never created, a parent that no
            // longer has it): asking again would be refused again.
            context.getLog().warn("Mission {}: a peer refused: {}", missionId, failure.toString());
            return Mission.PeerAnswered.INSTANCE;
          }
          return new Mission.PeersUnanswered(failure.toString());
        });
  }

  private static JsonNode offerPayload(MissionState mission) {
    ObjectNode payload = Json.mapper().createObjectNode();
    payload.put("workspace", mission.spec().workspace());
    payload.put("title", mission.spec().title());
    payload.set(
        "required_capabilities", Json.mapper().valueToTree(mission.requirements().capabilities()));
    payload.set("input", mission.spec().input());
    payload.put("heartbeat_ms", mission.spec().timeouts().heartbeatMs());
    payload.put("priority", mission.spec().priority());
    mission.spec().parentId().ifPresent(p -> payload.put("parent_id", p));
    return payload;
  }
}
