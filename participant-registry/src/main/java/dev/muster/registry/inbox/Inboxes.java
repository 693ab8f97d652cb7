package dev.muster.registry.inbox;

import java.util.concurrent.CompletionStage;

/**
 * How an entity places a message into a participant's inbox: idempotent by the draft's message id,
 * so a caller simply places it again after a failure or a restart. An interface so entities can be
 * tested alone; the node runs {@link ShardedInboxes}.
 */
public interface Inboxes {
  CompletionStage<Inbox.EnqueueResult> place(String participantId, Inbox.Draft draft);
}
