package dev.muster.registry.inbox;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * Who must hear of an acked task offer before the ack is answered: the coordinator, for which a
 * worker's ack of an offer means the worker has taken the attempt. The inbox calls it for a first
 * ack and for every repeated one (a retry after a lost answer), so the listener must be idempotent;
 * when it fails the ack is answered {@code unavailable} and the worker acks again.
 */
@FunctionalInterface
public interface AckListener {
  /** Nobody listens: an ack is answered as soon as it is journaled. */
  AckListener NONE =
      (participantId, acked) -> CompletableFuture.completedFuture(Done.getInstance());

  CompletionStage<Done> offerTaken(String participantId, Inbox.Acked acked);
}
