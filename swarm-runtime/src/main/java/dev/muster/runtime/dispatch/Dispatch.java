package dev.muster.runtime.dispatch;

import dev.muster.registry.inbox.Inbox;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * How the coordinator hands work to participants: choose one through the capability index, then
 * place a message into its inbox. An interface so the Mission entity can be tested alone; the node
 * runs {@link ShardedDispatch}.
 */
public interface Dispatch {

  /**
   * A participant that meets the requirements and has room, chosen fairly; never one of exclude.
   */
  Optional<String> select(Requirements requirements, Set<String> exclude);

  /** Places a message into a participant's inbox; idempotent by the draft's message id. */
  CompletionStage<Inbox.EnqueueResult> offer(String participantId, Inbox.Draft draft);

  /** The participant's attempt has ended: it has room for one more. */
  void released(String participantId);
}
