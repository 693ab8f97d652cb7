package dev.muster.registry.index;

import dev.muster.registry.participant.Participant;
import dev.muster.registry.participant.Participant.Status;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An immutable snapshot of the capability index: participants by workspace (in id order) and the
 * workspace of each id. {@link #apply} is the pure fold of participant events; it ignores an event
 * it has already folded (by sequence number), so replaying a prefix of the journal is harmless.
 * Each batch copies only the workspaces it touches.
 */
public record IndexState(
    Map<String, Map<String, IndexedParticipant>> byWorkspace, Map<String, String> workspaceOf) {

  /** One journal event of one participant, with its sequence number. */
  public record Change(long sequenceNr, Participant.Event event) {}

  public static IndexState empty() {
    return new IndexState(Map.of(), Map.of());
  }

  public Optional<IndexedParticipant> lookup(String participantId) {
    String workspace = workspaceOf.get(participantId);
    return workspace == null
        ? Optional.empty()
        : Optional.ofNullable(byWorkspace.get(workspace).get(participantId));
  }

  /** The workspace's participants in id order. */
  public Collection<IndexedParticipant> inWorkspace(String workspace) {
    return byWorkspace.getOrDefault(workspace, Map.of()).values();
  }

  public int size() {
    return workspaceOf.size();
  }

  public IndexState apply(List<Change> changes) {
    if (changes.isEmpty()) {
      return this;
    }
    Map<String, Map<String, IndexedParticipant>> workspaces = new HashMap<>(byWorkspace);
    Map<String, TreeMap<String, IndexedParticipant>> copied = new HashMap<>();
    Map<String, String> owners = new HashMap<>(workspaceOf);
    for (Change change : changes) {
      Participant.Event event = change.event();
      String id = event.participantId();
      String workspace =
          event instanceof Participant.Registered registered
              ? registered.registration().workspace()
              : owners.get(id);
      if (workspace == null) {
        continue; // an event of a participant whose registration this index has not seen
      }
      TreeMap<String, IndexedParticipant> members =
          copied.computeIfAbsent(
              workspace, ws -> new TreeMap<>(workspaces.getOrDefault(ws, Map.of())));
      IndexedParticipant before = members.get(id);
      if (before != null && change.sequenceNr() <= before.sequenceNr()) {
        continue;
      }
      IndexedParticipant after = fold(before, change);
      if (after != null) {
        members.put(id, after);
        owners.put(id, workspace);
      }
    }
    copied.forEach((ws, members) -> workspaces.put(ws, Collections.unmodifiableMap(members)));
    return new IndexState(
        Collections.unmodifiableMap(workspaces), Collections.unmodifiableMap(owners));
  }

  /** One participant after one event; {@code before} is null until it is registered. */
  static IndexedParticipant fold(IndexedParticipant before, Change change) {
    long seq = change.sequenceNr();
    Participant.Event event = change.event();
    if (event instanceof Participant.Registered e) {
      Participant.Registration r = e.registration();
      return new IndexedParticipant(
          e.participantId(),
          r.workspace(),
          Status.ACTIVE,
          r.roles(),
          r.capabilities(),
          r.maxConcurrentAttempts(),
          e.at(),
          seq);
    }
    if (before == null) {
      return null;
    }
    if (event instanceof Participant.HeartbeatRecorded e) {
      Status status = before.status() == Status.OFFLINE ? Status.ACTIVE : before.status();
      return with(
          before, status, e.at().isAfter(before.lastSeen()) ? e.at() : before.lastSeen(), seq);
    }
    if (event instanceof Participant.DrainStarted) {
      return with(before, Status.DRAINING, before.lastSeen(), seq);
    }
    if (event instanceof Participant.StoodDown) {
      return with(before, Status.STOOD_DOWN, before.lastSeen(), seq);
    }
    if (event instanceof Participant.WentOffline) {
      return with(before, Status.OFFLINE, before.lastSeen(), seq);
    }
    if (event instanceof Participant.Updated e) {
      return new IndexedParticipant(
          before.id(),
          before.workspace(),
          before.status(),
          e.roles().orElse(before.roles()),
          e.capabilities().orElse(before.capabilities()),
          e.maxConcurrentAttempts().orElse(before.maxConcurrentAttempts()),
          before.lastSeen(),
          seq);
    }
    return with(before, before.status(), before.lastSeen(), seq);
  }

  private static IndexedParticipant with(
      IndexedParticipant p, Status status, java.time.Instant lastSeen, long seq) {
    return new IndexedParticipant(
        p.id(),
        p.workspace(),
        status,
        p.roles(),
        p.capabilities(),
        p.maxConcurrentAttempts(),
        lastSeen,
        seq);
  }
}
