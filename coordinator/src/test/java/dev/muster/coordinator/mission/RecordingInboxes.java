package dev.muster.coordinator.mission;

import dev.muster.config.Rejection;
import dev.muster.registry.inbox.Inbox;
import dev.muster.registry.inbox.Inboxes;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test double of the participants' inboxes for Mission's entity tests: the test says which
 * inboxes refuse offers and reads back every message placed. The sharded inboxes are exercised by
 * the end-to-end tests.
 */
final class RecordingInboxes implements Inboxes {
  final Set<String> refusing = Collections.synchronizedSet(new HashSet<>());
  final List<Placed> placed = new CopyOnWriteArrayList<>();

  /** How many placings from now on go unanswered (an ask that timed out). */
  final AtomicInteger unanswered = new AtomicInteger();

  record Placed(String participantId, Inbox.Draft draft) {}

  @Override
  public CompletionStage<Inbox.EnqueueResult> place(String participantId, Inbox.Draft draft) {
    placed.add(new Placed(participantId, draft));
    if (unanswered.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      return CompletableFuture.failedFuture(new TimeoutException("no answer from the inbox"));
    }
    return CompletableFuture.completedFuture(
        refusing.contains(participantId) && draft.type() == Inbox.MessageType.TASK_OFFER
            ? new Inbox.Refused(Rejection.of(Rejection.Code.INBOX_FULL, "inbox full"))
            : new Inbox.Accepted(draft.messageId(), placed.size(), false));
  }

  List<Placed> of(Inbox.MessageType type) {
    return placed.stream().filter(p -> p.draft().type() == type).toList();
  }
}
