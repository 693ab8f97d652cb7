package dev.muster.api.audit;

import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.Recovery;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * Writes batches of audit records to the journal, each batch with one {@code persistAll}, every
 * record tagged {@link AuditLog#TAG}. It keeps no state and recovers nothing ({@link
 * Recovery#disabled()}: only its last sequence number is read), so a restart is quick however long
 * its log has grown; the records are read back by tag, never by replaying this actor.
 *
 * <p>Only {@link AuditBatcher} talks to it, one batch at a time. It tells the batcher {@link Ready}
 * each time it has started: the first time, and again after every restart. A restart follows a
 * failed write (restart with backoff, as every entity does) and anything else that went wrong, and
 * the batch being written then gets no answer; the next {@link Ready} tells the batcher that it was
 * lost.
 */
final class AuditWriter
    extends EventSourcedBehaviorWithEnforcedReplies<
        AuditWriter.Command, AuditRecord, AuditWriter.State> {

  /** Commands: local only (the writer is never reached from another node). */
  sealed interface Command {}

  /** Writes {@code records} together; answered {@link Written} once they are in the journal. */
  record Write(List<AuditRecord> records, long batch, ActorRef<Reply> replyTo) implements Command {}

  /** What the writer tells the batcher. */
  sealed interface Reply {}

  /** Batch {@code batch} is in the journal. */
  record Written(long batch) implements Reply {}

  /** The writer has (re)started and takes writes; an unanswered batch was lost. */
  enum Ready implements Reply {
    INSTANCE
  }

  /** Nothing is kept: every record stands alone. */
  enum State {
    EMPTY
  }

  private final ActorRef<Reply> batcher;

  private AuditWriter(PersistenceId id, AuditSettings settings, ActorRef<Reply> batcher) {
    super(id, settings.persistFailure());
    this.batcher = batcher;
  }

  /**
   * The writer of persistence id {@code id}. A failed write restarts it with backoff (inside the
   * behavior); so does anything else that fails it (a refused write, a bug), here.
   */
  static Behavior<Command> create(PersistenceId id, AuditSettings settings, ActorRef<Reply> to) {
    Behavior<Command> writer = new AuditWriter(id, settings, to);
    return Behaviors.supervise(writer).onFailure(Exception.class, settings.persistFailure());
  }

  @Override
  public State emptyState() {
    return State.EMPTY;
  }

  @Override
  public Recovery recovery() {
    return Recovery.disabled();
  }

  @Override
  public CommandHandlerWithReply<Command, AuditRecord, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Write.class, this::write)
        .build();
  }

  private ReplyEffect<AuditRecord, State> write(State state, Write command) {
    return Effect()
        .persist(command.records())
        .thenReply(command.replyTo(), after -> new Written(command.batch()));
  }

  @Override
  public EventHandler<State, AuditRecord> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(AuditRecord.class, (state, record) -> state)
        .build();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> batcher.tell(Ready.INSTANCE))
        .build();
  }

  @Override
  public Set<String> tagsFor(AuditRecord record) {
    return Set.of(AuditLog.TAG);
  }
}
