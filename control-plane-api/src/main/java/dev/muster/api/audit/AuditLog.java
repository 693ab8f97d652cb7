package dev.muster.api.audit;

import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.persistence.typed.PersistenceId;

/**
 * The durable audit log of this node: every state-changing request becomes one {@link AuditRecord}
 * in the journal, tagged {@link #TAG}, where {@link AuditRoutes} reads it back.
 *
 * <p>Each node start writes under a persistence id of its own ({@code audit|<random uuid>}), so no
 * node ever recovers a long log, and nodes never contend for one; what ties the records together is
 * the tag. Records that arrive while a write is in flight are written together in the next one
 * ({@link AuditBatcher}, {@link AuditWriter}): one journal write per batch, not per request.
 *
 * <p>{@link #record} completes when the record is in the journal. What waits for a write is bounded
 * ({@code muster.audit.max-pending}): beyond that, {@code record} fails at once with {@link
 * BufferFull}, so a journal that cannot keep up costs callers a log line, never unbounded memory. A
 * failed write fails its batch's stages ({@link WriteFailed}); the writer restarts with backoff and
 * goes on with the records that came later.
 */
public final class AuditLog {
  /** The tag of every audit record in the journal. */
  public static final String TAG = "audit";

  /** The entity type part of the writer's persistence id ({@code audit|<uuid>}). */
  static final String PERSISTENCE_TYPE = "audit";

  /** More records wait for the journal than {@code muster.audit.max-pending}. */
  public static final class BufferFull extends RuntimeException {
    BufferFull(int maxPending) {
      super(
          "the audit log is full ("
              + maxPending
              + " records wait for the journal; muster.audit.max-pending): the record is dropped",
          null,
          false,
          false);
    }
  }

  /**
   * The record's write failed (or the log stopped before it was done): it is not known to be in the
   * journal.
   */
  public static final class WriteFailed extends RuntimeException {
    WriteFailed(String message) {
      super(message, null, false, false);
    }
  }

  private final ActorRef<AuditBatcher.Command> batcher;
  private final PersistenceId persistenceId;
  private final int maxPending;
  private final AtomicInteger pending = new AtomicInteger();
  private final LongAdder batchesWritten;

  private AuditLog(
      ActorRef<AuditBatcher.Command> batcher,
      PersistenceId persistenceId,
      int maxPending,
      LongAdder batchesWritten) {
    this.batcher = batcher;
    this.persistenceId = persistenceId;
    this.maxPending = maxPending;
    this.batchesWritten = batchesWritten;
  }

  /** Starts this node's audit log: its batcher and writer, as system actors. */
  public static AuditLog start(ActorSystem<?> system, AuditSettings settings) {
    String run = UUID.randomUUID().toString();
    PersistenceId id = PersistenceId.of(PERSISTENCE_TYPE, run);
    LongAdder batches = new LongAdder();
    ActorRef<AuditBatcher.Command> batcher =
        system.systemActorOf(
            AuditBatcher.create(id, settings, batches), "audit-log-" + run, Props.empty());
    return new AuditLog(batcher, id, settings.maxPending(), batches);
  }

  /**
   * Writes {@code record}; completes when it is in the journal. Fails at once with {@link
   * BufferFull} when too many records wait, or later with {@link WriteFailed}.
   */
  public CompletionStage<Done> record(AuditRecord record) {
    Objects.requireNonNull(record, "record");
    if (pending.incrementAndGet() > maxPending) {
      pending.decrementAndGet();
      return CompletableFuture.failedFuture(new BufferFull(maxPending));
    }
    CompletableFuture<Done> written = new CompletableFuture<>();
    written.whenComplete((done, failure) -> pending.decrementAndGet());
    batcher.tell(new AuditBatcher.Append(record, written));
    // A copy: a caller that completes its stage cannot complete the log's.
    return written.copy();
  }

  /** The persistence id this node's records are written under. */
  String persistenceId() {
    return persistenceId.id();
  }

  /** How many batches have been written since the start: one journal write each. */
  long batchesWritten() {
    return batchesWritten.sum();
  }
}
