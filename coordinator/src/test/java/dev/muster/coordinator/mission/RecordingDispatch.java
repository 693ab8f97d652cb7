package dev.muster.coordinator.mission;

import dev.muster.registry.inbox.Inbox;
import dev.muster.runtime.dispatch.Dispatch;
import dev.muster.runtime.dispatch.Requirements;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A test double of {@link Dispatch} for Mission's entity tests: the test says which participants
 * are available and whether inboxes accept, and reads back every offer placed. The node's real
 * dispatch (capability index + sharded inboxes) is exercised by the end-to-end tests.
 */
final class RecordingDispatch implements Dispatch {
  final List<String> available = new CopyOnWriteArrayList<>();
  final Set<String> refusing = Collections.synchronizedSet(new java.util.HashSet<>());
  final List<Placed> offers = new CopyOnWriteArrayList<>();
  final List<String> released = new CopyOnWriteArrayList<>();

  record Placed(String participantId, Inbox.Draft draft) {}

  @Override
  public Optional<String> select(Requirements requirements, Set<String> exclude) {
    return new ArrayList<>(available).stream().filter(p -> !exclude.contains(p)).findFirst();
  }

  @Override
  public CompletionStage<Inbox.EnqueueResult> offer(String participantId, Inbox.Draft draft) {
    offers.add(new Placed(participantId, draft));
    return CompletableFuture.completedFuture(
        refusing.contains(participantId) && draft.type() == Inbox.MessageType.TASK_OFFER
            ? new Inbox.Refused("inbox full")
            : new Inbox.Accepted(draft.messageId(), offers.size(), false));
  }

  List<Placed> offersOf(Inbox.MessageType type) {
    return offers.stream().filter(p -> p.draft().type() == type).toList();
  }

  @Override
  public void released(String participantId) {
    released.add(participantId);
  }
}
