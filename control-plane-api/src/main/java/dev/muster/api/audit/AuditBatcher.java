package dev.muster.api.audit;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.persistence.typed.PersistenceId;

/**
 * Gathers audit records into batches for its {@link AuditWriter} (its child): one batch is written
 * at a time, and the records that arrive meanwhile wait here and go together, up to {@code
 * max-batch}, as the next one. So a busy node writes many records per journal write, and a quiet
 * one writes each record at once.
 *
 * <p>It holds the waiting records and the batch in flight with the stages of their callers: a
 * batch's stages complete when the writer answers that it is in the journal, and fail when the
 * writer tells it has restarted without answering (the write failed). How many may wait is bounded
 * by {@link AuditLog}, before a record gets here. The stages are completed on the dispatcher, not
 * on this actor's thread, so that what callers chain onto them never runs inside it.
 *
 * <p>Its buffer is mutable, confined to the actor. When the node stops, the records it holds are
 * not written and their stages fail; a record still in its mailbox then goes to dead letters, and
 * that stage never completes (so a caller waits on a record's stage with a deadline, if at all).
 */
final class AuditBatcher extends AbstractBehavior<AuditBatcher.Command> {

  /** Commands: local only; a record carries its caller's stage. */
  sealed interface Command {}

  /** A record to write; {@code written} completes when it is in the journal. */
  record Append(AuditRecord record, CompletableFuture<Done> written) implements Command {}

  /** The writer's answer, adapted. */
  private record FromWriter(AuditWriter.Reply reply) implements Command {}

  private record Batch(long number, List<Append> appends) {}

  private final AuditSettings settings;
  private final LongAdder batchesWritten;
  private final ActorRef<AuditWriter.Command> writer;
  private final ActorRef<AuditWriter.Reply> replies;
  private final Executor completions;
  private final ArrayDeque<Append> waiting = new ArrayDeque<>();
  private Batch inFlight;
  private boolean writerReady;
  private long lastBatch;

  private AuditBatcher(
      ActorContext<Command> context,
      PersistenceId id,
      AuditSettings settings,
      LongAdder batchesWritten) {
    super(context);
    this.settings = settings;
    this.batchesWritten = batchesWritten;
    this.replies = context.messageAdapter(AuditWriter.Reply.class, FromWriter::new);
    this.writer = context.spawn(AuditWriter.create(id, settings, replies), "writer");
    this.completions = context.getExecutionContext();
  }

  static Behavior<Command> create(
      PersistenceId id, AuditSettings settings, LongAdder batchesWritten) {
    return Behaviors.setup(context -> new AuditBatcher(context, id, settings, batchesWritten));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Append.class, this::append)
        .onMessage(FromWriter.class, this::fromWriter)
        .onSignal(PostStop.class, this::stopped)
        .build();
  }

  private Behavior<Command> append(Append append) {
    waiting.add(append);
    writeNext();
    return this;
  }

  private Behavior<Command> fromWriter(FromWriter message) {
    if (message.reply() instanceof AuditWriter.Written written) {
      if (inFlight != null && inFlight.number() == written.batch()) {
        batchesWritten.increment();
        complete(inFlight, null);
        inFlight = null;
      }
    } else {
      // Ready: the first start, or a restart; a batch still in flight was not written.
      if (inFlight != null) {
        getContext()
            .getLog()
            .warn(
                "The journal did not take {} audit records (batch {}); their stages fail",
                inFlight.appends().size(),
                inFlight.number());
        complete(
            inFlight,
            new AuditLog.WriteFailed(
                "the journal write of a batch of "
                    + inFlight.appends().size()
                    + " audit records failed; the log goes on with later records"));
        inFlight = null;
      }
      writerReady = true;
    }
    writeNext();
    return this;
  }

  /**
   * The node is stopping: what was not written fails rather than leaving its callers waiting for a
   * stage that would never complete. The batch in flight may still have reached the journal.
   */
  private Behavior<Command> stopped(PostStop signal) {
    int unwritten = waiting.size() + (inFlight == null ? 0 : inFlight.appends().size());
    if (unwritten > 0) {
      RuntimeException stopped =
          new AuditLog.WriteFailed(
              "the audit log stopped (the node is shutting down) before the record was written");
      // Here, not on the dispatcher, which may already refuse work while the node stops.
      if (inFlight != null) {
        settle(inFlight.appends(), stopped);
      }
      settle(List.copyOf(waiting), stopped);
      waiting.clear();
      getContext().getLog().warn("The audit log stopped with {} records unwritten", unwritten);
    }
    return this;
  }

  /** Sends the waiting records, up to max-batch, when the writer is free. */
  private void writeNext() {
    if (!writerReady || inFlight != null || waiting.isEmpty()) {
      return;
    }
    int size = Math.min(settings.maxBatch(), waiting.size());
    List<Append> appends = new ArrayList<>(size);
    List<AuditRecord> records = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      Append next = waiting.poll();
      appends.add(next);
      records.add(next.record());
    }
    inFlight = new Batch(++lastBatch, List.copyOf(appends));
    writer.tell(new AuditWriter.Write(List.copyOf(records), inFlight.number(), replies));
  }

  /** Completes a batch's stages on the dispatcher (failed with {@code failure} unless null). */
  private void complete(Batch batch, RuntimeException failure) {
    completions.execute(() -> settle(batch.appends(), failure));
  }

  private static void settle(List<Append> appends, RuntimeException failure) {
    for (Append append : appends) {
      if (failure == null) {
        append.written().complete(Done.getInstance());
      } else {
        append.written().completeExceptionally(failure);
      }
    }
  }
}
