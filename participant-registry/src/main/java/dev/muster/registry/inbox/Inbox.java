package dev.muster.registry.inbox;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.muster.config.CborSerializable;
import dev.muster.config.Rejection;
import dev.muster.config.entity.Guarded;
import dev.muster.config.entity.Replying;
import dev.muster.registry.RegistrySettings;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * A participant's inbox: an ordered, persisted queue delivered at least once under leases.
 *
 * <p>Enqueue is idempotent by the sender's message id (pending or recently acked ids answer {@code
 * duplicate}). Task offers are refused with {@code inbox_full} while {@code max-pending} messages
 * wait; control messages (stand-down and the rest) are always accepted. Messages are delivered in
 * seq order, so a stand-down reaches the participant before any offer queued after it.
 *
 * <p>Leases and parked pollers are transient (actor memory, not the journal): a delivered message
 * that is not acked before its lease ends is delivered again, and after a restart or a move to
 * another node every pending message is deliverable at once. A parked poller whose inbox restarts
 * gets no answer; its ask times out and it polls again. Acked messages leave the state; a bounded
 * list of recently acked ids remains to answer repeated enqueues and acks.
 *
 * <p>An ack of a task offer is answered once the {@link AckListener} (the coordinator) has heard
 * that the offer was taken, so a 2xx to the worker means both facts are journaled; a repeated ack
 * tells the listener again.
 */
public final class Inbox
    extends EventSourcedBehaviorWithEnforcedReplies<Inbox.Command, Inbox.Event, Inbox.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "Inbox");

  private static final String LEASE_TIMER = "lease-check";

  public enum MessageType {
    TASK_OFFER,
    STAND_DOWN,
    HANDOFF,
    APPROVAL_RESULT,
    RECOVERY_REQUESTED
  }

  /** What a sender gives; it chooses the message id, so a retried enqueue is a duplicate. */
  public record Draft(
      String messageId, MessageType type, String missionId, int attempt, JsonNode payload)
      implements CborSerializable {
    public Draft {
      payload = payload == null ? NullNode.getInstance() : payload;
    }

    Optional<String> problem() {
      if (messageId == null || messageId.isBlank()) {
        return Optional.of("message_id is required");
      }
      if (type == null) {
        return Optional.of("type is required");
      }
      if (missionId == null) {
        return Optional.of("mission_id is required (empty when the message is about no mission)");
      }
      if (attempt < 0) {
        return Optional.of("attempt must not be negative");
      }
      return Optional.empty();
    }
  }

  public record Message(
      String messageId,
      long seq,
      MessageType type,
      String missionId,
      int attempt,
      JsonNode payload,
      Instant createdAt)
      implements CborSerializable {
    public Message {
      payload = payload == null ? NullNode.getInstance() : payload;
    }
  }

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "result")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = Accepted.class, name = "accepted"),
    @JsonSubTypes.Type(value = Refused.class, name = "refused")
  })
  public sealed interface EnqueueResult extends CborSerializable {}

  public record Accepted(String messageId, long seq, boolean duplicate) implements EnqueueResult {}

  /** Nothing was queued, and why ({@code inbox_full}, {@code invalid_request}). */
  public record Refused(Rejection rejection) implements EnqueueResult {}

  public record Delivery(List<Message> messages) implements CborSerializable {
    public Delivery {
      messages = List.copyOf(messages);
    }
  }

  public record Acked(
      String messageId, MessageType type, String missionId, int attempt, boolean duplicate)
      implements CborSerializable {}

  public sealed interface Command extends CborSerializable {}

  public record Enqueue(Draft draft, ActorRef<StatusReply<EnqueueResult>> replyTo)
      implements Command, Replying<EnqueueResult> {}

  /**
   * Up to {@code max} deliverable messages, leased; parks until one is deliverable or {@code
   * maxWait} ends (then an empty delivery). Exactly one reply.
   */
  public record Poll(int max, Duration maxWait, ActorRef<StatusReply<Delivery>> replyTo)
      implements Command, Replying<Delivery> {}

  /**
   * A cursor read for a stream that resumes by seq: pending messages with a seq above {@code
   * afterSeq}, whether leased or not (the cursor, not the lease, keeps a stream from seeing a
   * message twice); what it returns is leased so that a concurrent {@link Poll} does not also get
   * it. Parks like {@link Poll}.
   */
  public record PollAfter(
      long afterSeq, int max, Duration maxWait, ActorRef<StatusReply<Delivery>> replyTo)
      implements Command, Replying<Delivery> {}

  public record Ack(String messageId, ActorRef<StatusReply<Acked>> replyTo)
      implements Command, Replying<Acked> {}

  /** The ack listener answered about an acked task offer; local only. */
  record OfferTakenHeard(Acked acked, ActorRef<StatusReply<Acked>> replyTo, Throwable failure)
      implements Command {}

  /** A parked poller's wait ended; local only. */
  record PollTimedOut(long pollerId) implements Command {}

  /** A lease a parked poller may be waiting for has ended; local only. */
  enum LeaseCheck implements Command {
    INSTANCE
  }

  public sealed interface Event extends CborSerializable {}

  public record MessageEnqueued(Message message) implements Event {}

  public record MessageAcked(String messageId, long seq, Instant at) implements Event {}

  /** An acked message, remembered for a while to answer a repeated enqueue or ack. */
  public record AckedMessage(
      String messageId, long seq, MessageType type, String missionId, int attempt)
      implements CborSerializable {
    Acked reply(boolean duplicate) {
      return new Acked(messageId, type, missionId, attempt, duplicate);
    }
  }

  /**
   * The last seq handed out, the pending messages in seq order, and the recently acked ones (oldest
   * first, bounded by {@code recently-acked}).
   */
  public record State(long lastSeq, List<Message> pending, List<AckedMessage> recentlyAcked)
      implements CborSerializable {
    public State {
      pending = List.copyOf(pending);
      recentlyAcked = List.copyOf(recentlyAcked);
    }

    static State empty() {
      return new State(0, List.of(), List.of());
    }

    public Optional<Message> pendingMessage(String messageId) {
      return pending.stream().filter(m -> m.messageId().equals(messageId)).findFirst();
    }

    public Optional<AckedMessage> recentlyAckedMessage(String messageId) {
      return recentlyAcked.stream().filter(m -> m.messageId().equals(messageId)).findFirst();
    }

    State enqueue(Message message) {
      List<Message> next = new ArrayList<>(pending.size() + 1);
      next.addAll(pending);
      next.add(message);
      return new State(message.seq(), next, recentlyAcked);
    }

    State ack(String messageId, int remember) {
      Optional<Message> acked = pendingMessage(messageId);
      if (acked.isEmpty()) {
        return this;
      }
      Message m = acked.get();
      List<AckedMessage> memory = new ArrayList<>(recentlyAcked);
      memory.add(new AckedMessage(m.messageId(), m.seq(), m.type(), m.missionId(), m.attempt()));
      List<AckedMessage> bounded =
          memory.subList(Math.max(0, memory.size() - remember), memory.size());
      List<Message> rest = pending.stream().filter(p -> !p.messageId().equals(messageId)).toList();
      return new State(lastSeq, rest, bounded);
    }

    Set<String> pendingIds() {
      return pending.stream().map(Message::messageId).collect(Collectors.toSet());
    }
  }

  /** A poller waiting for a deliverable message; {@code cursor} for {@link PollAfter}. */
  private record Poller(
      long id, ActorRef<StatusReply<Delivery>> replyTo, int max, long afterSeq, boolean cursor) {}

  private final String participantId;
  private final RegistrySettings.InboxSettings settings;
  private final AckListener ackListener;
  private final Clock clock;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final Map<Long, Poller> parked = new LinkedHashMap<>();
  private Leases leases = Leases.none();
  private long nextPollerId = 1;

  private Inbox(
      String participantId,
      RegistrySettings settings,
      AckListener ackListener,
      Clock clock,
      ActorContext<Command> context,
      TimerScheduler<Command> timers) {
    super(
        PersistenceId.of(ENTITY_TYPE_KEY.name(), participantId),
        settings.persistFailure().restart());
    this.participantId = participantId;
    this.settings = settings.inbox();
    this.ackListener = ackListener;
    this.clock = clock;
    this.context = context;
    this.timers = timers;
  }

  public static Behavior<Command> create(
      String participantId, RegistrySettings settings, AckListener ackListener, Clock clock) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> new Inbox(participantId, settings, ackListener, clock, context, timers)));
  }

  /** Starts sharding of inboxes (entity id = participant id) on this node. */
  public static void init(
      ActorSystem<?> system, RegistrySettings settings, AckListener ackListener, Clock clock) {
    ClusterSharding.get(system)
        .init(
            Entity.of(
                ENTITY_TYPE_KEY, ctx -> create(ctx.getEntityId(), settings, ackListener, clock)));
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return Guarded.commands(
        newCommandHandlerWithReplyBuilder()
            .forAnyState()
            .onCommand(Enqueue.class, this::enqueue)
            .onCommand(Poll.class, this::poll)
            .onCommand(PollAfter.class, this::pollAfter)
            .onCommand(Ack.class, this::ack)
            .onCommand(OfferTakenHeard.class, this::offerTakenHeard)
            .onCommand(PollTimedOut.class, this::pollTimedOut)
            .onCommand(LeaseCheck.class, this::leaseCheck)
            .build(),
        Effect(),
        context.getLog(),
        "inbox " + participantId);
  }

  private ReplyEffect<Event, State> enqueue(State state, Enqueue command) {
    Draft draft = command.draft();
    Optional<String> problem = draft.problem();
    if (problem.isPresent()) {
      return Effect().reply(command.replyTo(), refused(Rejection.invalid(problem.get())));
    }
    Optional<Long> knownSeq =
        state
            .pendingMessage(draft.messageId())
            .map(Message::seq)
            .or(() -> state.recentlyAckedMessage(draft.messageId()).map(AckedMessage::seq));
    if (knownSeq.isPresent()) {
      return Effect()
          .reply(
              command.replyTo(),
              StatusReply.success(new Accepted(draft.messageId(), knownSeq.get(), true)));
    }
    if (draft.type() == MessageType.TASK_OFFER && state.pending().size() >= settings.maxPending()) {
      return Effect()
          .reply(
              command.replyTo(),
              refused(
                  Rejection.of(
                      Rejection.Code.INBOX_FULL,
                      state.pending().size()
                          + " messages are pending (max-pending "
                          + settings.maxPending()
                          + "); offer it to another participant or retry later")));
    }
    Message message =
        new Message(
            draft.messageId(),
            state.lastSeq() + 1,
            draft.type(),
            draft.missionId(),
            draft.attempt(),
            draft.payload(),
            clock.instant());
    return Effect()
        .persist(new MessageEnqueued(message))
        .thenRun(this::serveParked)
        .thenReply(
            command.replyTo(),
            s -> StatusReply.success(new Accepted(message.messageId(), message.seq(), false)));
  }

  private ReplyEffect<Event, State> poll(State state, Poll command) {
    return deliverOrPark(state, command.replyTo(), command.max(), 0, false, command.maxWait());
  }

  private ReplyEffect<Event, State> pollAfter(State state, PollAfter command) {
    return deliverOrPark(
        state, command.replyTo(), command.max(), command.afterSeq(), true, command.maxWait());
  }

  private ReplyEffect<Event, State> deliverOrPark(
      State state,
      ActorRef<StatusReply<Delivery>> replyTo,
      int max,
      long afterSeq,
      boolean cursor,
      Duration wait) {
    Poller poller =
        new Poller(
            nextPollerId++,
            replyTo,
            Math.max(1, Math.min(max, settings.maxBatch())),
            afterSeq,
            cursor);
    List<Message> batch = take(state, poller);
    Duration waitFor = boundedWait(wait);
    if (!batch.isEmpty() || waitFor.isZero()) {
      return Effect().reply(replyTo, StatusReply.success(new Delivery(batch)));
    }
    parked.put(poller.id(), poller);
    timers.startSingleTimer(pollTimer(poller.id()), new PollTimedOut(poller.id()), waitFor);
    armLeaseCheck(state);
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> ack(State state, Ack command) {
    Optional<Message> pending = state.pendingMessage(command.messageId());
    if (pending.isPresent()) {
      Message m = pending.get();
      Acked acked = new Acked(m.messageId(), m.type(), m.missionId(), m.attempt(), false);
      return Effect()
          .persist(new MessageAcked(m.messageId(), m.seq(), clock.instant()))
          .thenRun(
              s -> {
                leases = leases.release(m.messageId());
                Guarded.sideEffect(
                    context.getLog(),
                    "inbox " + participantId,
                    "answer the ack",
                    () -> answerAck(acked, command.replyTo()),
                    command.replyTo());
              })
          .thenNoReply();
    }
    Optional<AckedMessage> acked = state.recentlyAckedMessage(command.messageId());
    if (acked.isPresent()) {
      answerAck(acked.get().reply(true), command.replyTo());
      return Effect().noReply();
    }
    return Effect()
        .reply(
            command.replyTo(),
            Rejection.of(
                    Rejection.Code.UNKNOWN_MESSAGE,
                    "message " + command.messageId() + " is neither pending nor recently acked")
                .reply());
  }

  /** Answers an ack; for a task offer, once the ack listener has heard that it was taken. */
  private void answerAck(Acked acked, ActorRef<StatusReply<Acked>> replyTo) {
    if (acked.type() != MessageType.TASK_OFFER) {
      replyTo.tell(StatusReply.success(acked));
      return;
    }
    context.pipeToSelf(
        ackListener.offerTaken(participantId, acked),
        (done, failure) -> new OfferTakenHeard(acked, replyTo, failure));
  }

  private ReplyEffect<Event, State> offerTakenHeard(State state, OfferTakenHeard heard) {
    if (heard.failure() == null) {
      return Effect().reply(heard.replyTo(), StatusReply.success(heard.acked()));
    }
    return Effect()
        .reply(
            heard.replyTo(),
            Rejection.of(
                    Rejection.Code.UNAVAILABLE,
                    "message "
                        + heard.acked().messageId()
                        + " is acked, but its mission did not confirm it in time; ack it again")
                .reply());
  }

  private ReplyEffect<Event, State> pollTimedOut(State state, PollTimedOut timeout) {
    Poller poller = parked.remove(timeout.pollerId());
    if (poller == null) {
      return Effect().noReply();
    }
    armLeaseCheck(state);
    return Effect().reply(poller.replyTo(), StatusReply.success(new Delivery(List.of())));
  }

  private ReplyEffect<Event, State> leaseCheck(State state, LeaseCheck check) {
    serveParked(state);
    return Effect().noReply();
  }

  /** Answers parked pollers, oldest first, while there are deliverable messages for them. */
  private void serveParked(State state) {
    Iterator<Poller> waiting = parked.values().iterator();
    while (waiting.hasNext()) {
      Poller poller = waiting.next();
      List<Message> batch = take(state, poller);
      if (!batch.isEmpty()) {
        waiting.remove();
        timers.cancel(pollTimer(poller.id()));
        poller.replyTo().tell(StatusReply.success(new Delivery(batch)));
      }
    }
    armLeaseCheck(state);
  }

  /** The poller's batch, leased. */
  private List<Message> take(State state, Poller poller) {
    Instant now = clock.instant();
    List<Message> batch =
        leases.deliverable(state.pending(), poller.afterSeq(), poller.cursor(), now, poller.max());
    if (!batch.isEmpty()) {
      leases = leases.grant(batch.stream().map(Message::messageId).toList(), now, settings.lease());
    }
    return batch;
  }

  /** While a poller waits, wakes up when the first lease on a pending message ends. */
  private void armLeaseCheck(State state) {
    boolean waitingForLeases = parked.values().stream().anyMatch(p -> !p.cursor());
    Instant now = clock.instant();
    Optional<Instant> expiry =
        waitingForLeases ? leases.nextExpiry(state.pendingIds(), now) : Optional.empty();
    if (expiry.isPresent()) {
      timers.startSingleTimer(
          LEASE_TIMER, LeaseCheck.INSTANCE, Duration.between(now, expiry.get()));
    } else {
      timers.cancel(LEASE_TIMER);
    }
  }

  private Duration boundedWait(Duration wait) {
    if (wait == null || wait.isNegative()) {
      return Duration.ZERO;
    }
    return wait.compareTo(settings.maxPollWait()) > 0 ? settings.maxPollWait() : wait;
  }

  private static String pollTimer(long pollerId) {
    return "poll-" + pollerId;
  }

  private static StatusReply<EnqueueResult> refused(Rejection rejection) {
    return StatusReply.success(new Refused(rejection));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(MessageEnqueued.class, (state, event) -> state.enqueue(event.message()))
        .onEvent(
            MessageAcked.class,
            (state, event) -> state.ack(event.messageId(), settings.recentlyAcked()))
        .build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return settings.snapshots().retention();
  }
}
