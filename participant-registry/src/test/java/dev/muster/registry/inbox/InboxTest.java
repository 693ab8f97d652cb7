package dev.muster.registry.inbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.muster.config.Rejection;
import dev.muster.config.json.Json;
import dev.muster.registry.MutableClock;
import dev.muster.registry.RegistrySettings;
import dev.muster.registry.RegistryTestConfig;
import dev.muster.registry.inbox.Inbox.Accepted;
import dev.muster.registry.inbox.Inbox.Ack;
import dev.muster.registry.inbox.Inbox.Acked;
import dev.muster.registry.inbox.Inbox.Command;
import dev.muster.registry.inbox.Inbox.Delivery;
import dev.muster.registry.inbox.Inbox.Draft;
import dev.muster.registry.inbox.Inbox.Enqueue;
import dev.muster.registry.inbox.Inbox.EnqueueResult;
import dev.muster.registry.inbox.Inbox.Event;
import dev.muster.registry.inbox.Inbox.Message;
import dev.muster.registry.inbox.Inbox.MessageAcked;
import dev.muster.registry.inbox.Inbox.MessageEnqueued;
import dev.muster.registry.inbox.Inbox.MessageType;
import dev.muster.registry.inbox.Inbox.Poll;
import dev.muster.registry.inbox.Inbox.PollAfter;
import dev.muster.registry.inbox.Inbox.Refused;
import dev.muster.registry.inbox.Inbox.State;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InboxTest {
  private static final Instant START = Instant.parse("2026-11-21T12:00:00Z");
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration NO_WAIT = Duration.ZERO;

  @JUnit5TestKit
  ActorTestKit testKit =
      new JUnit5TestKitBuilder().withCustomConfig(RegistryTestConfig.entityTestKit()).build();

  private final AtomicInteger ids = new AtomicInteger();
  private MutableClock clock;
  private final List<Acked> taken = new CopyOnWriteArrayList<>();
  private volatile boolean listenerFails;

  /** The coordinator's side of an acked offer: records it, or fails while the test says so. */
  private final AckListener listener =
      (participantId, acked) -> {
        if (listenerFails) {
          return CompletableFuture.failedFuture(new IllegalStateException("mission away"));
        }
        taken.add(acked);
        return CompletableFuture.completedFuture(Done.getInstance());
      };

  @BeforeEach
  void fresh() {
    clock = new MutableClock(START);
    taken.clear();
    listenerFails = false;
  }

  private EventSourcedBehaviorTestKit<Command, Event, State> inbox(
      RegistrySettings settings, Clock clock) {
    return EventSourcedBehaviorTestKit.create(
        testKit.system(),
        Inbox.create("p-" + ids.incrementAndGet(), settings, listener, clock),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true));
  }

  private EventSourcedBehaviorTestKit<Command, Event, State> inbox(String... overrides) {
    return inbox(RegistryTestConfig.settings(overrides), clock);
  }

  static Draft offer(String id) {
    return draft(id, MessageType.TASK_OFFER);
  }

  static Draft draft(String id, MessageType type) {
    JsonNode payload = Json.mapper().createObjectNode().put("goal", "build " + id);
    return new Draft(id, type, "m-" + id, 1, payload);
  }

  static EnqueueResult enqueue(EventSourcedBehaviorTestKit<Command, Event, State> kit, Draft d) {
    return kit.<StatusReply<EnqueueResult>>runCommand(replyTo -> new Enqueue(d, replyTo))
        .reply()
        .getValue();
  }

  static List<String> poll(EventSourcedBehaviorTestKit<Command, Event, State> kit, int max) {
    var result = kit.<StatusReply<Delivery>>runCommand(replyTo -> new Poll(max, NO_WAIT, replyTo));
    assertTrue(result.hasNoEvents(), "a poll persists nothing");
    return result.reply().getValue().messages().stream().map(Message::messageId).toList();
  }

  static List<String> ids(StatusReply<Delivery> delivery) {
    return delivery.getValue().messages().stream().map(Message::messageId).toList();
  }

  static Rejection.Code code(StatusReply<?> reply) {
    return ((Rejection.Refusal) reply.getError()).rejection().code();
  }

  static StatusReply<Acked> ack(EventSourcedBehaviorTestKit<Command, Event, State> kit, String id) {
    return kit.<StatusReply<Acked>>runCommand(replyTo -> new Ack(id, replyTo)).reply();
  }

  @Test
  void enqueuePersistsMessagesWithIncreasingSeq() {
    var kit = inbox();
    var first =
        kit.<StatusReply<EnqueueResult>>runCommand(replyTo -> new Enqueue(offer("a"), replyTo));
    Message message = first.eventOfType(MessageEnqueued.class).message();
    assertEquals(1, message.seq());
    assertEquals(START, message.createdAt());
    assertEquals("build a", message.payload().get("goal").asText());
    assertEquals(new Accepted("a", 1, false), first.reply().getValue());
    assertEquals(new Accepted("b", 2, false), enqueue(kit, offer("b")));
    assertEquals(2, kit.getState().lastSeq());
  }

  @Test
  void enqueueOfAPendingIdIsADuplicateAndPersistsNothing() {
    var kit = inbox();
    enqueue(kit, offer("a"));
    var again =
        kit.<StatusReply<EnqueueResult>>runCommand(replyTo -> new Enqueue(offer("a"), replyTo));
    assertTrue(again.hasNoEvents());
    assertEquals(new Accepted("a", 1, true), again.reply().getValue());
  }

  @Test
  void anInvalidDraftIsRefused() {
    var kit = inbox();
    List<Draft> invalid =
        List.of(
            new Draft(" ", MessageType.TASK_OFFER, "m", 1, null),
            new Draft("x", null, "m", 1, null),
            new Draft("x", MessageType.TASK_OFFER, null, 1, null),
            new Draft("x", MessageType.TASK_OFFER, "m", -1, null));
    for (Draft d : invalid) {
      var result = kit.<StatusReply<EnqueueResult>>runCommand(replyTo -> new Enqueue(d, replyTo));
      assertTrue(result.hasNoEvents());
      Refused refused = assertInstanceOf(Refused.class, result.reply().getValue());
      assertEquals(Rejection.Code.INVALID_REQUEST, refused.rejection().code());
    }
  }

  @Test
  void pollDeliversInSeqOrderAndLeases() {
    var kit = inbox();
    enqueue(kit, offer("a"));
    enqueue(kit, draft("s", MessageType.STAND_DOWN));
    enqueue(kit, offer("b"));
    assertEquals(List.of("a", "s"), poll(kit, 2));
    assertEquals(List.of("b"), poll(kit, 10));
    assertEquals(List.of(), poll(kit, 10), "everything is leased");
  }

  @Test
  void anUnackedMessageIsDeliveredAgainWhenItsLeaseEnds() {
    var kit = inbox();
    enqueue(kit, offer("a"));
    assertEquals(List.of("a"), poll(kit, 1));
    clock.advance(LEASE.minusMillis(1));
    assertEquals(List.of(), poll(kit, 1));
    clock.advance(Duration.ofMillis(1));
    assertEquals(List.of("a"), poll(kit, 1));
    assertEquals(List.of(), poll(kit, 1), "redelivery takes a new lease");
  }

  @Test
  void ackRemovesTheMessageAndIsIdempotent() {
    var kit = inbox();
    enqueue(kit, offer("a"));
    enqueue(kit, offer("b"));
    poll(kit, 2);
    var first = kit.<StatusReply<Acked>>runCommand(replyTo -> new Ack("a", replyTo));
    assertEquals("a", first.eventOfType(MessageAcked.class).messageId());
    assertEquals(new Acked("a", MessageType.TASK_OFFER, "m-a", 1, false), first.reply().getValue());
    assertEquals(List.of("b"), kit.getState().pending().stream().map(Message::messageId).toList());

    var second = kit.<StatusReply<Acked>>runCommand(replyTo -> new Ack("a", replyTo));
    assertTrue(second.hasNoEvents());
    assertEquals(new Acked("a", MessageType.TASK_OFFER, "m-a", 1, true), second.reply().getValue());

    clock.advance(LEASE);
    assertEquals(List.of("b"), poll(kit, 10), "an acked message is never delivered again");
    var reEnqueue =
        kit.<StatusReply<EnqueueResult>>runCommand(replyTo -> new Enqueue(offer("a"), replyTo));
    assertTrue(reEnqueue.hasNoEvents());
    assertEquals(new Accepted("a", 1, true), reEnqueue.reply().getValue());
  }

  @Test
  void anAckOfAnUnknownMessageIsRejected() {
    var kit = inbox();
    var result = kit.<StatusReply<Acked>>runCommand(replyTo -> new Ack("nope", replyTo));
    assertTrue(result.hasNoEvents());
    assertTrue(result.reply().isError());
    assertEquals(Rejection.Code.UNKNOWN_MESSAGE, code(result.reply()));
  }

  @Test
  void theMemoryOfAckedIdsIsBounded() {
    var kit = inbox("inbox.recently-acked = 2");
    for (String id : List.of("a", "b", "c")) {
      enqueue(kit, offer(id));
      assertFalse(ack(kit, id).getValue().duplicate());
    }
    assertEquals(
        List.of("b", "c"),
        kit.getState().recentlyAcked().stream().map(a -> a.messageId()).toList());
    assertTrue(ack(kit, "b").getValue().duplicate());
    assertTrue(ack(kit, "a").isError(), "a is forgotten");
  }

  @Test
  void aFullInboxRefusesOffersButAcceptsControlMessages() {
    var kit = inbox("inbox.max-pending = 2");
    enqueue(kit, offer("a"));
    enqueue(kit, offer("b"));
    var refused =
        kit.<StatusReply<EnqueueResult>>runCommand(replyTo -> new Enqueue(offer("c"), replyTo));
    assertTrue(refused.hasNoEvents());
    Refused reason = assertInstanceOf(Refused.class, refused.reply().getValue());
    assertEquals(Rejection.Code.INBOX_FULL, reason.rejection().code());

    assertEquals(new Accepted("a", 1, true), enqueue(kit, offer("a")), "duplicates still answer");
    assertEquals(new Accepted("s", 3, false), enqueue(kit, draft("s", MessageType.STAND_DOWN)));
    assertEquals(
        new Accepted("r", 4, false), enqueue(kit, draft("r", MessageType.RECOVERY_REQUESTED)));

    ack(kit, "a");
    ack(kit, "b");
    assertInstanceOf(Refused.class, enqueue(kit, offer("c")), "control messages count as pending");
    ack(kit, "s");
    assertEquals(new Accepted("c", 5, false), enqueue(kit, offer("c")));
  }

  @Test
  void aStandDownIsDeliveredBeforeOffersQueuedAfterIt() {
    var kit = inbox();
    enqueue(kit, offer("a"));
    assertEquals(List.of("a"), poll(kit, 1));
    enqueue(kit, draft("stop", MessageType.STAND_DOWN));
    enqueue(kit, offer("b"));
    assertEquals(List.of("stop"), poll(kit, 1));
    clock.advance(LEASE);
    assertEquals(List.of("a", "stop", "b"), poll(kit, 10));
  }

  @Test
  void aParkedPollerIsAnsweredByTheNextEnqueue() {
    var kit = inbox();
    TestProbe<StatusReply<Delivery>> poller = testKit.createTestProbe();
    kit.runCommand(new Poll(5, Duration.ofSeconds(10), poller.ref()));
    poller.expectNoMessage(Duration.ofMillis(50));
    enqueue(kit, offer("a"));
    assertEquals(List.of("a"), ids(poller.receiveMessage()));
    assertEquals(List.of(), poll(kit, 1), "the parked poller's delivery is leased");
    poller.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void severalParkedPollersShareNewMessagesInOrder() {
    var kit = inbox();
    TestProbe<StatusReply<Delivery>> first = testKit.createTestProbe();
    TestProbe<StatusReply<Delivery>> second = testKit.createTestProbe();
    kit.runCommand(new Poll(1, Duration.ofSeconds(10), first.ref()));
    kit.runCommand(new Poll(1, Duration.ofSeconds(10), second.ref()));
    enqueue(kit, offer("a"));
    assertEquals(List.of("a"), ids(first.receiveMessage()));
    second.expectNoMessage(Duration.ofMillis(50));
    enqueue(kit, offer("b"));
    assertEquals(List.of("b"), ids(second.receiveMessage()));
  }

  @Test
  void aParkedPollerGetsAnEmptyDeliveryWhenItsWaitEnds() {
    var kit = inbox();
    TestProbe<StatusReply<Delivery>> poller = testKit.createTestProbe();
    kit.runCommand(new Poll(5, Duration.ofMillis(100), poller.ref()));
    assertEquals(List.of(), ids(poller.receiveMessage(Duration.ofSeconds(3))));
    enqueue(kit, offer("a"));
    poller.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void aParkedPollerIsAnsweredWhenALeaseEnds() {
    var kit = inbox(RegistryTestConfig.settings("inbox.lease = 200ms"), Clock.systemUTC());
    enqueue(kit, offer("a"));
    assertEquals(List.of("a"), poll(kit, 1));
    TestProbe<StatusReply<Delivery>> poller = testKit.createTestProbe();
    kit.runCommand(new Poll(5, Duration.ofSeconds(10), poller.ref()));
    assertEquals(List.of("a"), ids(poller.receiveMessage(Duration.ofSeconds(3))));
  }

  @Test
  void pollAfterReadsFromACursorWhetherLeasedOrNot() {
    var kit = inbox();
    enqueue(kit, offer("a"));
    enqueue(kit, offer("b"));
    assertEquals(List.of("a", "b"), poll(kit, 10));
    var after1 =
        kit.<StatusReply<Delivery>>runCommand(replyTo -> new PollAfter(1, 10, NO_WAIT, replyTo));
    assertEquals(
        List.of(2L), after1.reply().getValue().messages().stream().map(Message::seq).toList());

    TestProbe<StatusReply<Delivery>> stream = testKit.createTestProbe();
    kit.runCommand(new PollAfter(2, 10, Duration.ofSeconds(10), stream.ref()));
    stream.expectNoMessage(Duration.ofMillis(50));
    enqueue(kit, offer("c"));
    assertEquals(
        List.of(3L),
        stream.receiveMessage().getValue().messages().stream().map(Message::seq).toList());
    assertEquals(List.of(), poll(kit, 10), "what the cursor read is leased");
  }

  @Test
  void pollIsBoundedByMaxBatch() {
    var kit = inbox("inbox.max-batch = 2");
    for (String id : List.of("a", "b", "c")) {
      enqueue(kit, offer(id));
    }
    assertEquals(List.of("a", "b"), poll(kit, 100));
    assertEquals(List.of("c"), poll(kit, 0), "at least one message per delivery");
  }

  @Test
  void recoveryRestoresMessagesAndForgetsLeases() {
    var kit = inbox("inbox.snapshot-every = 3");
    for (String id : List.of("a", "b", "c", "d")) {
      enqueue(kit, offer(id));
    }
    ack(kit, "b");
    assertEquals(List.of("a", "c", "d"), poll(kit, 10));
    State before = kit.getState();
    assertEquals(before, kit.restart().state());
    assertEquals(List.of("a", "c", "d"), poll(kit, 10), "leases do not survive a restart");
    assertTrue(ack(kit, "b").getValue().duplicate());
    assertEquals(new Accepted("e", 5, false), enqueue(kit, offer("e")));
  }

  @Test
  void anAckedOfferIsAnsweredOnceItsMissionHeardAndARepeatTellsItAgain() {
    var kit = inbox();
    enqueue(kit, offer("a"));
    enqueue(kit, draft("s", MessageType.STAND_DOWN));
    poll(kit, 10);
    assertFalse(ack(kit, "a").getValue().duplicate());
    assertEquals(List.of("a"), taken.stream().map(Acked::messageId).toList());
    ack(kit, "s");
    assertEquals(1, taken.size(), "only task offers are taken");
    assertTrue(ack(kit, "a").getValue().duplicate());
    assertEquals(2, taken.size(), "a repeated ack tells the mission again");
  }

  @Test
  void anAckWhoseMissionDidNotHearIsUnavailableAndCanBeRepeated() {
    var kit = inbox();
    enqueue(kit, offer("a"));
    poll(kit, 1);
    listenerFails = true;
    var lost = kit.<StatusReply<Acked>>runCommand(replyTo -> new Ack("a", replyTo));
    lost.eventOfType(MessageAcked.class);
    assertEquals(Rejection.Code.UNAVAILABLE, code(lost.reply()));
    listenerFails = false;
    assertTrue(ack(kit, "a").getValue().duplicate());
    assertEquals(List.of("a"), taken.stream().map(Acked::messageId).toList());
  }

  @Test
  void aFailingCommandIsAnsweredAndTheInboxGoesOnServingItsMessages() {
    var kit = inbox();
    enqueue(kit, offer("a"));
    clock.breakOnce();
    var failed =
        kit.<StatusReply<EnqueueResult>>runCommand(replyTo -> new Enqueue(offer("b"), replyTo));
    assertTrue(failed.hasNoEvents());
    assertEquals(Rejection.Code.INTERNAL_ERROR, code(failed.reply()));
    assertEquals(List.of("a"), poll(kit, 10));
    assertEquals(new Accepted("b", 2, false), enqueue(kit, offer("b")));
  }
}
