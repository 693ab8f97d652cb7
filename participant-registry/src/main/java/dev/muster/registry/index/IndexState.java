package dev.muster.registry.index;

import dev.muster.registry.participant.Participant;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * An immutable snapshot of the capability index: participants by workspace (in id order) and the
 * workspace of each id. {@link #apply} is the pure fold of participant events; it ignores an event
 * it has already folded (by sequence number), so replaying a prefix of the journal is harmless.
 * Each batch copies only the workspaces it touches.
 */
public record IndexState(
    Map<String, NavigableMap<String, IndexedParticipant>> byWorkspace,
    Map<String, String> workspaceOf) {

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
    return byWorkspace.getOrDefault(workspace, Collections.emptyNavigableMap()).values();
  }

  /** One page of a listing, and the id to continue after when there is more. */
  public record Page(List<IndexedParticipant> participants, Optional<String> continueAfter) {}

  /**
   * Up to {@code limit} participants that pass {@code filter}, in id order, after {@code afterId}:
   * of one workspace, or of all. Ids are unique and never reused, so the order is stable between
   * pages while participants join.
   */
  public Page page(
      Optional<String> workspace,
      Predicate<IndexedParticipant> filter,
      Optional<String> afterId,
      int limit) {
    Stream<IndexedParticipant> inOrder =
        workspace.isPresent()
            ? inWorkspace(workspace.get()).stream()
            : workspaceOf.keySet().stream().sorted().map(id -> lookup(id).orElseThrow());
    List<IndexedParticipant> found =
        inOrder
            .filter(p -> afterId.map(after -> p.id().compareTo(after) > 0).orElse(true))
            .filter(filter)
            .limit(limit + 1L)
            .toList();
    if (found.size() > limit) {
      return new Page(found.subList(0, limit), Optional.of(found.get(limit - 1).id()));
    }
    return new Page(found, Optional.empty());
  }

  public int size() {
    return workspaceOf.size();
  }

  public IndexState apply(List<Change> changes) {
    if (changes.isEmpty()) {
      return this;
    }
    Map<String, NavigableMap<String, IndexedParticipant>> workspaces = new HashMap<>(byWorkspace);
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
              workspace,
              ws -> new TreeMap<>(workspaces.getOrDefault(ws, Collections.emptyNavigableMap())));
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
    copied.forEach(
        (ws, members) -> workspaces.put(ws, Collections.unmodifiableNavigableMap(members)));
    return new IndexState(
        Collections.unmodifiableMap(workspaces), Collections.unmodifiableMap(owners));
  }

  /** One participant after one event; {@code before} is null until it is registered. */
  static IndexedParticipant fold(IndexedParticipant before, Change change) {
    Participant.Event event = change.event();
    if (event instanceof Participant.Registered registered) {
      return new IndexedParticipant(Participant.Enrolled.of(registered), change.sequenceNr());
    }
    if (before == null) {
      return null;
    }
    return new IndexedParticipant(before.participant().apply(event), change.sequenceNr());
  }
}
