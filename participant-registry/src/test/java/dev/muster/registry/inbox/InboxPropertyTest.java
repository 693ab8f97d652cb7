package dev.muster.registry.inbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.registry.MutableClock;
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
import dev.muster.registry.inbox.Inbox.MessageType;
import dev.muster.registry.inbox.Inbox.Poll;
import dev.muster.registry.inbox.Inbox.State;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random sequences of enqueue, poll, ack, time passing and restarts against a model: every delivery
 * is exactly what the model says is deliverable (seq order, no lease running, never an acked
 * message), and at the end every accepted message is delivered and acked once: none lost.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InboxPropertyTest {
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final int STEPS = 250;

  @JUnit5TestKit
  ActorTestKit testKit =
      new JUnit5TestKitBuilder().withCustomConfig(RegistryTestConfig.entityTestKit()).build();

  /** What the inbox should hold: pending messages by seq, acked ids, leases since the restart. */
  private static final class Model {
    final TreeMap<Long, String> pending = new TreeMap<>();
    final Map<String, Long> seqOf = new HashMap<>();
    final Set<String> acked = new HashSet<>();
    final Map<String, Instant> leasedUntil = new HashMap<>();
    long lastSeq;

    List<String> deliverable(Instant now, int max) {
      return pending.values().stream()
          .filter(id -> !leasedUntil.containsKey(id) || !now.isBefore(leasedUntil.get(id)))
          .limit(max)
          .toList();
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 7, 42, 1234, 20261121})
  void noMessageIsLostAndNoAckedMessageIsDeliveredAgain(long seed) {
    Random random = new Random(seed);
    MutableClock clock = new MutableClock(Instant.parse("2026-11-21T12:00:00Z"));
    var kit =
        EventSourcedBehaviorTestKit.<Command, Event, State>create(
            testKit.system(),
            Inbox.create(
                "p-" + seed,
                RegistryTestConfig.settings("inbox.snapshot-every = 7", "inbox.max-pending = 40"),
                AckListener.NONE,
                clock),
            EventSourcedBehaviorTestKit.enabledSerializationSettings());
    Model model = new Model();
    List<String> delivered = new ArrayList<>();

    for (int step = 0; step < STEPS; step++) {
      int dice = random.nextInt(100);
      if (dice < 35) {
        boolean again = !model.seqOf.isEmpty() && random.nextInt(5) == 0;
        String id = again ? pick(random, model.seqOf.keySet()) : "msg-" + step;
        MessageType type = MessageType.values()[random.nextInt(MessageType.values().length)];
        EnqueueResult result = enqueue(kit, new Draft(id, type, "m-" + id, 1, null));
        if (model.seqOf.containsKey(id)) {
          assertEquals(new Accepted(id, model.seqOf.get(id), true), result, "step " + step);
        } else if (type == MessageType.TASK_OFFER && model.pending.size() >= 40) {
          assertTrue(result instanceof Inbox.Refused, "step " + step);
        } else {
          model.lastSeq++;
          assertEquals(new Accepted(id, model.lastSeq, false), result, "step " + step);
          model.pending.put(model.lastSeq, id);
          model.seqOf.put(id, model.lastSeq);
        }
      } else if (dice < 60) {
        int max = 1 + random.nextInt(5);
        Instant now = clock.instant();
        List<String> expected = model.deliverable(now, max);
        List<Message> got = poll(kit, max);
        assertEquals(expected, got.stream().map(Message::messageId).toList(), "step " + step);
        for (Message m : got) {
          assertFalse(model.acked.contains(m.messageId()), "acked message delivered again");
          model.leasedUntil.put(m.messageId(), now.plus(LEASE));
          delivered.add(m.messageId());
        }
      } else if (dice < 85) {
        if (model.seqOf.isEmpty()) {
          continue;
        }
        String id = random.nextInt(10) == 0 ? "never-" + step : pick(random, model.seqOf.keySet());
        StatusReply<Acked> reply = ack(kit, id);
        if (!model.seqOf.containsKey(id)) {
          assertTrue(reply.isError(), "step " + step);
        } else {
          assertEquals(model.acked.contains(id), reply.getValue().duplicate(), "step " + step);
          model.acked.add(id);
          model.pending.remove(model.seqOf.get(id));
          model.leasedUntil.remove(id);
        }
      } else if (dice < 95) {
        clock.advance(Duration.ofSeconds(random.nextInt(45)));
      } else {
        kit.restart();
        model.leasedUntil.clear();
      }
      assertEquals(
          List.copyOf(model.pending.values()),
          kit.getState().pending().stream().map(Message::messageId).toList(),
          "step " + step);
    }

    // Drain: every message still pending is delivered and acked; nothing else comes out.
    clock.advance(LEASE);
    Set<String> drained = new HashSet<>();
    for (List<Message> batch = poll(kit, 10); !batch.isEmpty(); batch = poll(kit, 10)) {
      for (Message m : batch) {
        assertTrue(drained.add(m.messageId()), "delivered twice while leased");
        assertFalse(ack(kit, m.messageId()).getValue().duplicate());
      }
    }
    assertEquals(new HashSet<>(model.pending.values()), drained);
    Set<String> everyAccepted = new HashSet<>(model.seqOf.keySet());
    Set<String> ackedOrDrained = new HashSet<>(model.acked);
    ackedOrDrained.addAll(drained);
    assertEquals(everyAccepted, ackedOrDrained, "no accepted message is lost");
    assertTrue(kit.getState().pending().isEmpty());
    assertTrue(delivered.size() > 0, "the sequence delivered something");
  }

  private static String pick(Random random, Set<String> ids) {
    List<String> sorted = ids.stream().sorted().toList();
    return sorted.get(random.nextInt(sorted.size()));
  }

  private static EnqueueResult enqueue(
      EventSourcedBehaviorTestKit<Command, Event, State> kit, Draft draft) {
    return kit.<StatusReply<EnqueueResult>>runCommand(replyTo -> new Enqueue(draft, replyTo))
        .reply()
        .getValue();
  }

  private static List<Message> poll(
      EventSourcedBehaviorTestKit<Command, Event, State> kit, int max) {
    return kit.<StatusReply<Delivery>>runCommand(replyTo -> new Poll(max, Duration.ZERO, replyTo))
        .reply()
        .getValue()
        .messages();
  }

  private static StatusReply<Acked> ack(
      EventSourcedBehaviorTestKit<Command, Event, State> kit, String id) {
    return kit.<StatusReply<Acked>>runCommand(replyTo -> new Ack(id, replyTo)).reply();
  }
}
