package dev.muster.registry;

import dev.muster.registry.inbox.Inbox;
import dev.muster.registry.inbox.Inboxes;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A test double of {@link Inboxes}: accepts every message (or fails every placing while {@code
 * failing}) and records what was placed where. The sharded inboxes have their own tests.
 */
public final class RecordingInboxes implements Inboxes {
  public record Placed(String participantId, Inbox.Draft draft) {}

  public final List<Placed> placed = new CopyOnWriteArrayList<>();
  public volatile boolean failing;

  @Override
  public CompletionStage<Inbox.EnqueueResult> place(String participantId, Inbox.Draft draft) {
    if (failing) {
      return CompletableFuture.failedFuture(new IllegalStateException("the inbox is away"));
    }
    placed.add(new Placed(participantId, draft));
    return CompletableFuture.completedFuture(
        new Inbox.Accepted(draft.messageId(), placed.size(), false));
  }
}
