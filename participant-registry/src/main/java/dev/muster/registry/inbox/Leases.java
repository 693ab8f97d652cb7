package dev.muster.registry.inbox;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Delivery leases of one inbox: which messages were handed out until when. Pure arithmetic on an
 * injected {@code now}; an inbox keeps this in memory only, so after a restart every pending
 * message is deliverable again (at-least-once). A message is leased while {@code now < until}.
 */
public record Leases(Map<String, Instant> until) {
  public Leases {
    until = Map.copyOf(until);
  }

  public static Leases none() {
    return new Leases(Map.of());
  }

  public boolean held(String messageId, Instant now) {
    Instant end = until.get(messageId);
    return end != null && now.isBefore(end);
  }

  /**
   * Up to {@code max} messages of {@code pending} (in seq order) with a seq above {@code afterSeq}
   * that may be delivered now: not under a lease, unless {@code ignoreLeases} (a cursor read).
   */
  public List<Inbox.Message> deliverable(
      List<Inbox.Message> pending, long afterSeq, boolean ignoreLeases, Instant now, int max) {
    List<Inbox.Message> batch = new ArrayList<>();
    for (Inbox.Message message : pending) {
      if (batch.size() >= max) {
        break;
      }
      if (message.seq() > afterSeq && (ignoreLeases || !held(message.messageId(), now))) {
        batch.add(message);
      }
    }
    return batch;
  }

  /** Leases {@code messageIds} from {@code now} for {@code lease}; forgets expired leases. */
  public Leases grant(Collection<String> messageIds, Instant now, Duration lease) {
    Map<String, Instant> next = new HashMap<>();
    until.forEach(
        (id, end) -> {
          if (now.isBefore(end)) {
            next.put(id, end);
          }
        });
    Instant end = now.plus(lease);
    messageIds.forEach(id -> next.put(id, end));
    return new Leases(next);
  }

  public Leases release(String messageId) {
    if (!until.containsKey(messageId)) {
      return this;
    }
    Map<String, Instant> next = new HashMap<>(until);
    next.remove(messageId);
    return new Leases(next);
  }

  /** When the first lease still running at {@code now} on one of {@code messageIds} ends. */
  public Optional<Instant> nextExpiry(Set<String> messageIds, Instant now) {
    return until.entrySet().stream()
        .filter(lease -> messageIds.contains(lease.getKey()) && now.isBefore(lease.getValue()))
        .map(Map.Entry::getValue)
        .min(Instant::compareTo);
  }
}
