package dev.muster.runtime.dispatch;

import dev.muster.registry.index.FairSelection;
import dev.muster.registry.index.IndexState;
import dev.muster.registry.index.IndexedParticipant;
import dev.muster.registry.participant.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * The backlog of one workspace: the missions that wait for a participant, in queues by their
 * requirements, and the attempts each participant holds. It decides who gets what; the {@link
 * Dispatcher} that owns it sends the decisions and feeds it what the missions answer.
 *
 * <p>The rules:
 *
 * <ul>
 *   <li><b>Order.</b> A queue is served by priority (higher first), then submission time, then
 *       mission id. When a participant gains room it takes the best head among the queues it can
 *       serve; a mission that becomes due goes to a participant with room, if any.
 *   <li><b>Nobody idle while work waits.</b> After every change, every participant with room is
 *       given the best waiting mission it can take, before new missions are placed, so a freed
 *       participant takes the oldest work of the highest priority, never the newest.
 *   <li><b>Capacity.</b> A participant's load is the number of attempts it holds (offered or
 *       running) plus the offers proposed to it and not yet answered; nothing is proposed to a
 *       participant at its {@code max_concurrent_attempts}. Loads are never counted, only derived:
 *       a mission's status says which participant it holds, and the newest status wins.
 *   <li><b>Fairness.</b> Among participants with room, the least loaded first, round-robin among
 *       equals ({@link FairSelection}); a retry prefers participants it has not failed with.
 *   <li><b>Honest waiting.</b> When a waiting mission's schedule-to-start has passed, the backlog
 *       checks whether any participant could take it: none (nobody registered, active and live with
 *       its requirements) gives it up; otherwise it keeps waiting, and is checked again after
 *       another schedule-to-start. A mission with a maximum queue time is given up after that long,
 *       with a reason that says capable participants were busy.
 * </ul>
 *
 * <p>Mutable, and owned by one actor: a backlog of 100,000 missions changes in O(log n) per
 * hand-over instead of being copied. It has no clock, no I/O and no actor: time and the
 * participants ({@link Roster}) are passed in, and {@code BacklogTest} drives it table by table.
 */
final class Backlog {

  /** Offer attempt {@code attempt} of a mission to {@code participantId}. */
  record Proposal(String missionId, int attempt, String participantId, long version) {}

  /** Give a waiting mission up, and why. */
  record Verdict(String missionId, int attempt, String why, long version) {}

  /** The workspace's participants as the capability index knows them, judged at {@code now}. */
  record Roster(String workspace, IndexState participants, Instant now, Duration livenessWindow) {
    /** The participant, if it belongs to this workspace. */
    Optional<IndexedParticipant> lookup(String id) {
      return participants.lookup(id).filter(p -> p.workspace().equals(workspace));
    }

    /** Active (not draining, offline or stood down) and heard of within the liveness window. */
    boolean live(IndexedParticipant p) {
      return p.statusAt(now, livenessWindow) == Status.ACTIVE;
    }
  }

  /** Queue order: priority (higher first), then submission, then id. */
  private static final Comparator<Entry> ORDER =
      Comparator.<Entry>comparingInt(e -> -e.status.priority())
          .thenComparing(e -> e.status.submittedAt())
          .thenComparing(e -> e.status.missionId());

  /** The same order over places (a page of the view starts after one). */
  private static final Comparator<BacklogView.Place> PLACE =
      Comparator.<BacklogView.Place>comparingInt(p -> -p.priority())
          .thenComparing(BacklogView.Place::submittedAt)
          .thenComparing(BacklogView.Place::missionId);

  private static final Comparator<Entry> BY_NOT_BEFORE =
      Comparator.<Entry, Instant>comparing(e -> e.status.notBefore().orElse(Instant.MIN))
          .thenComparing(e -> e.status.missionId());

  private static final Comparator<Entry> BY_CHECK =
      Comparator.<Entry, Instant>comparing(e -> e.checkAt).thenComparing(e -> e.status.missionId());

  /** How many versions of idle missions are remembered, to ignore their late statuses. */
  private static final int REMEMBERED_IDLE = 10_000;

  /** A waiting mission. */
  private static final class Entry {
    final WorkStatus.Waiting status;
    Instant checkAt;
    Optional<Instant> verdictSentAt = Optional.empty();

    Entry(WorkStatus.Waiting status, Instant checkAt) {
      this.status = status;
      this.checkAt = checkAt;
    }
  }

  /** An attempt a participant holds; {@code proposedAt} while the offer is not answered yet. */
  private record Hold(
      String participantId, int attempt, long version, Optional<Instant> proposedAt) {}

  private final String workspace;
  private final Map<String, Long> versions = new HashMap<>();
  private final LinkedHashMap<String, Long> idle = new LinkedHashMap<>();
  private final Map<String, Entry> waiting = new HashMap<>();
  private final Map<Requirements, NavigableSet<Entry>> queues = new HashMap<>();
  private final NavigableSet<Entry> notYet = new TreeSet<>(BY_NOT_BEFORE);
  private final NavigableSet<Entry> checks = new TreeSet<>(BY_CHECK);
  private final Map<String, Hold> holds = new HashMap<>();
  private final Map<String, Set<String>> heldBy = new HashMap<>();
  private final NavigableSet<String> withRoom = new TreeSet<>();
  private final Map<String, NavigableSet<String>> withRoomByCapability = new HashMap<>();
  private final Map<String, Set<String>> capabilitiesWithRoom = new HashMap<>();
  private final Set<String> dirtyParticipants = new LinkedHashSet<>();
  private final NavigableSet<Entry> dirtyEntries = new TreeSet<>(ORDER);
  private Optional<String> lastChosen = Optional.empty();

  Backlog(String workspace) {
    this.workspace = workspace;
  }

  // What the missions say

  /**
   * Takes in a mission's status when it is newer than what the backlog knows; answers whether it
   * changed anything. {@code orEqual}: a status of the same version counts too (the answer to a
   * proposal that was not taken, which says the mission still waits).
   */
  boolean apply(WorkStatus status, Instant now, boolean orEqual) {
    if (!status.workspace().equals(workspace)) {
      return false;
    }
    long known =
        versions.getOrDefault(status.missionId(), idle.getOrDefault(status.missionId(), -1L));
    if (status.version() < known || (status.version() == known && !orEqual)) {
      return false;
    }
    forget(status.missionId());
    idle.remove(status.missionId());
    if (status instanceof WorkStatus.Waiting w) {
      versions.put(w.missionId(), w.version());
      Entry entry = new Entry(w, firstCheck(w));
      waiting.put(w.missionId(), entry);
      checks.add(entry);
      if (w.notBefore().filter(now::isBefore).isPresent()) {
        notYet.add(entry);
      } else {
        enqueue(entry);
      }
    } else if (status instanceof WorkStatus.Holding h) {
      versions.put(h.missionId(), h.version());
      hold(h.missionId(), new Hold(h.participantId(), h.attempt(), h.version(), Optional.empty()));
    } else {
      versions.remove(status.missionId());
      idle.put(status.missionId(), status.version());
      if (idle.size() > REMEMBERED_IDLE) {
        idle.remove(idle.keySet().iterator().next());
      }
    }
    return true;
  }

  /**
   * The answer to a proposal: when it does not say the mission holds the proposed participant (it
   * no longer waited, or it waited for another attempt), the proposal is dropped and the answer
   * taken in, so the participant's room is free again.
   */
  void answered(Proposal proposal, WorkStatus answer, Instant now) {
    boolean taken =
        answer instanceof WorkStatus.Holding h
            && h.attempt() == proposal.attempt()
            && h.participantId().equals(proposal.participantId());
    if (!taken && isProposed(proposal)) {
      forget(proposal.missionId());
      versions.remove(proposal.missionId());
    }
    apply(answer, now, !taken);
  }

  /** A participant's registration, status or limit may have changed: look at it again. */
  void participantChanged(String participantId) {
    dirtyParticipants.add(participantId);
  }

  // What to do now

  /**
   * The offers to make now: every participant with room first takes the best mission it can serve,
   * then missions that became due go to participants with room. Each proposal already counts
   * against its participant's room.
   */
  List<Proposal> dispatch(Roster roster) {
    Instant now = roster.now();
    while (!notYet.isEmpty() && !notYet.first().status.notBefore().orElse(now).isAfter(now)) {
      enqueue(notYet.pollFirst());
    }
    List<Proposal> proposals = new ArrayList<>();
    fill(roster, proposals);
    for (Entry entry : List.copyOf(dirtyEntries)) {
      if (waiting.get(entry.status.missionId()) == entry && !notYet.contains(entry)) {
        Optional<String> chosen = choose(entry, roster);
        if (chosen.isPresent()) {
          proposals.add(propose(entry, chosen.get(), now));
          refreshRoom(chosen.get(), roster);
        }
      }
    }
    dirtyEntries.clear();
    dirtyParticipants.clear();
    return proposals;
  }

  /**
   * The missions to give up now: their check is due and nobody could take them, or they waited
   * longer than their maximum queue time. A verdict is sent again after {@code retry} until the
   * mission's answer takes it out of the backlog.
   */
  List<Verdict> verdicts(Roster roster, Duration retry) {
    Instant now = roster.now();
    List<Verdict> verdicts = new ArrayList<>();
    Map<Requirements, Boolean> capable = new HashMap<>();
    while (!checks.isEmpty() && !checks.first().checkAt.isAfter(now)) {
      Entry entry = checks.pollFirst();
      WorkStatus.Waiting w = entry.status;
      Optional<Instant> queueDeadline = w.maxQueueTime().map(w.waitingSince()::plus);
      String why;
      if (!capable.computeIfAbsent(w.requirements(), r -> anyCapable(r, roster))) {
        boolean scheduleToStartPassed = !w.waitingSince().plus(w.scheduleToStart()).isAfter(now);
        why =
            "no capable participant took the mission within "
                + (scheduleToStartPassed
                    ? seconds(w.scheduleToStart())
                    : "its max_queue_time of " + seconds(w.maxQueueTime().orElseThrow()))
                + ": none with "
                + w.requirements()
                + " is active in workspace "
                + workspace;
      } else if (queueDeadline.filter(at -> !at.isAfter(now)).isPresent()) {
        why =
            "capable participants exist but were all busy for "
                + seconds(w.maxQueueTime().orElseThrow())
                + " (max_queue_time)";
      } else {
        entry.checkAt =
            queueDeadline
                .filter(now.plus(w.scheduleToStart())::isAfter)
                .orElse(now.plus(w.scheduleToStart()));
        checks.add(entry);
        continue;
      }
      entry.verdictSentAt = Optional.of(now);
      entry.checkAt = now.plus(retry);
      checks.add(entry);
      verdicts.add(new Verdict(w.missionId(), w.attempt(), why, w.version()));
    }
    return verdicts;
  }

  /** Proposals sent at least {@code retry} ago and not answered: to be sent again now. */
  List<Proposal> unanswered(Instant now, Duration retry) {
    List<Proposal> again = new ArrayList<>();
    for (Map.Entry<String, Hold> held : holds.entrySet()) {
      Hold hold = held.getValue();
      if (hold.proposedAt().filter(at -> !at.plus(retry).isAfter(now)).isPresent()) {
        held.setValue(
            new Hold(hold.participantId(), hold.attempt(), hold.version(), Optional.of(now)));
        again.add(
            new Proposal(held.getKey(), hold.attempt(), hold.participantId(), hold.version()));
      }
    }
    return again;
  }

  /** When something is due next: a retry's backoff, a check, an unanswered proposal. */
  Optional<Instant> nextDue(Duration retry) {
    Optional<Instant> next = Optional.empty();
    if (!notYet.isEmpty()) {
      next = earliest(next, notYet.first().status.notBefore());
    }
    if (!checks.isEmpty()) {
      next = earliest(next, Optional.of(checks.first().checkAt));
    }
    for (Hold hold : holds.values()) {
      next = earliest(next, hold.proposedAt().map(at -> at.plus(retry)));
    }
    return next;
  }

  /** Every participant of the workspace is looked at again (after a rebuild, periodically). */
  void everyParticipantChanged(Roster roster) {
    roster.participants().inWorkspace(workspace).forEach(p -> dirtyParticipants.add(p.id()));
    dirtyParticipants.addAll(heldBy.keySet());
  }

  // Reading

  /** The missions the backlog knows as waiting or holding (for reconciliation). */
  Set<String> known() {
    Set<String> known = new HashSet<>(waiting.keySet());
    known.addAll(holds.keySet());
    return known;
  }

  long version(String missionId) {
    return versions.getOrDefault(missionId, idle.getOrDefault(missionId, -1L));
  }

  /** Nothing waits and nobody holds anything. */
  boolean isEmpty() {
    return waiting.isEmpty() && holds.isEmpty();
  }

  int load(String participantId) {
    return heldBy.getOrDefault(participantId, Set.of()).size();
  }

  /** What the backlog holds, for people: its queues and the load of its participants. */
  BacklogView view(Roster roster, int limit, Optional<BacklogView.Place> after) {
    List<BacklogView.Queue> lanes = new ArrayList<>();
    queues.forEach(
        (requirements, queue) -> {
          if (!queue.isEmpty()) {
            Instant oldest =
                queue.stream()
                    .map(e -> e.status.waitingSince())
                    .min(Instant::compareTo)
                    .orElseThrow();
            lanes.add(new BacklogView.Queue(requirements, queue.size(), oldest));
          }
        });
    lanes.sort(Comparator.comparing(BacklogView.Queue::oldestWaitingSince));
    List<BacklogView.WaitingMission> page = waitingInOrder(limit, after);
    List<BacklogView.Load> loads = new ArrayList<>();
    heldBy.forEach(
        (participantId, missions) ->
            loads.add(
                new BacklogView.Load(
                    participantId,
                    missions.size(),
                    roster
                        .lookup(participantId)
                        .map(IndexedParticipant::maxConcurrentAttempts)
                        .orElse(0))));
    loads.sort(Comparator.comparing(BacklogView.Load::participantId));
    return new BacklogView(
        workspace, waiting.size(), notYet.size(), holds.size(), lanes, page, loads);
  }

  // Placing and taking

  private void enqueue(Entry entry) {
    queues.computeIfAbsent(entry.status.requirements(), r -> new TreeSet<>(ORDER)).add(entry);
    dirtyEntries.add(entry);
  }

  /** Takes the mission out of the backlog: its waiting entry and its hold, if any. */
  private void forget(String missionId) {
    Entry entry = waiting.remove(missionId);
    if (entry != null) {
      NavigableSet<Entry> queue = queues.get(entry.status.requirements());
      if (queue != null) {
        queue.remove(entry);
        if (queue.isEmpty()) {
          queues.remove(entry.status.requirements());
        }
      }
      notYet.remove(entry);
      checks.remove(entry);
      dirtyEntries.remove(entry);
    }
    Hold hold = holds.remove(missionId);
    if (hold != null) {
      Set<String> held = heldBy.get(hold.participantId());
      if (held != null) {
        held.remove(missionId);
        if (held.isEmpty()) {
          heldBy.remove(hold.participantId());
        }
      }
      dirtyParticipants.add(hold.participantId());
    }
  }

  private void hold(String missionId, Hold hold) {
    holds.put(missionId, hold);
    heldBy.computeIfAbsent(hold.participantId(), p -> new HashSet<>()).add(missionId);
    dirtyParticipants.add(hold.participantId());
  }

  private boolean isProposed(Proposal proposal) {
    Hold hold = holds.get(proposal.missionId());
    return hold != null
        && hold.proposedAt().isPresent()
        && hold.attempt() == proposal.attempt()
        && hold.participantId().equals(proposal.participantId());
  }

  private Proposal propose(Entry entry, String participantId, Instant now) {
    WorkStatus.Waiting w = entry.status;
    forget(w.missionId());
    versions.put(w.missionId(), w.version());
    hold(w.missionId(), new Hold(participantId, w.attempt(), w.version(), Optional.of(now)));
    lastChosen = Optional.of(participantId);
    return new Proposal(w.missionId(), w.attempt(), participantId, w.version());
  }

  /**
   * The participants that changed take the best waiting missions they can, one mission at a time:
   * the least loaded first, in turn among equals ({@link FairSelection#inTurn}), so that work
   * spreads over several freed participants as it would one by one. When the best mission avoids
   * the participant (a retry after it failed there) and another participant with room can take it,
   * it goes to that one instead.
   */
  private void fill(Roster roster, List<Proposal> proposals) {
    Map<String, Integer> turn = new HashMap<>();
    FairSelection.inTurn(new TreeSet<>(dirtyParticipants), lastChosen)
        .forEach(id -> turn.put(id, turn.size()));
    NavigableSet<String> next =
        new TreeSet<>(Comparator.<String>comparingInt(this::load).thenComparingInt(turn::get));
    for (String id : turn.keySet()) {
      refreshRoom(id, roster);
      if (withRoom.contains(id) && roster.lookup(id).filter(roster::live).isPresent()) {
        next.add(id);
      }
    }
    while (!next.isEmpty()) {
      String id = next.pollFirst();
      Optional<Entry> best = bestFor(roster.lookup(id).orElseThrow());
      if (best.isEmpty()) {
        continue;
      }
      WorkStatus.Waiting w = best.get().status;
      String to =
          w.avoid().contains(id)
              ? chooseAmong(w.requirements(), roster, other -> !w.avoid().contains(other))
                  .orElse(id)
              : id;
      boolean queued = turn.containsKey(to) && next.remove(to);
      proposals.add(propose(best.get(), to, roster.now()));
      refreshRoom(to, roster);
      if (queued && withRoom.contains(to)) {
        next.add(to);
      }
      if (!to.equals(id) || withRoom.contains(id)) {
        next.add(id);
      }
    }
  }

  /** The best head among the queues {@code p} can serve. */
  private Optional<Entry> bestFor(IndexedParticipant p) {
    Entry best = null;
    for (Map.Entry<Requirements, NavigableSet<Entry>> queue : queues.entrySet()) {
      if (queue.getKey().coveredBy(p)) {
        Entry head = queue.getValue().first();
        if (best == null || ORDER.compare(head, best) < 0) {
          best = head;
        }
      }
    }
    return Optional.ofNullable(best);
  }

  /** A participant with room for the mission: not one it avoids, if it can be helped. */
  private Optional<String> choose(Entry entry, Roster roster) {
    WorkStatus.Waiting w = entry.status;
    Optional<String> chosen = chooseAmong(w.requirements(), roster, id -> !w.avoid().contains(id));
    if (chosen.isEmpty() && !w.avoid().isEmpty()) {
      chosen = chooseAmong(w.requirements(), roster, id -> true);
    }
    return chosen;
  }

  private Optional<String> chooseAmong(
      Requirements requirements, Roster roster, Predicate<String> allowed) {
    NavigableSet<String> candidates = candidates(requirements);
    return FairSelection.chooseInTurn(
        FairSelection.inTurn(candidates, lastChosen)
            .filter(allowed)
            .map(roster::lookup)
            .flatMap(Optional::stream)
            .filter(p -> requirements.coveredBy(p) && roster.live(p))
            .map(
                p -> new FairSelection.Candidate(p.id(), load(p.id()), p.maxConcurrentAttempts())));
  }

  /** The participants with room that may cover {@code requirements}: the smallest matching set. */
  private NavigableSet<String> candidates(Requirements requirements) {
    if (requirements.participant().isPresent()) {
      String named = requirements.participant().get();
      return withRoom.contains(named) ? new TreeSet<>(Set.of(named)) : new TreeSet<>();
    }
    NavigableSet<String> smallest = withRoom;
    for (String capability : requirements.capabilities()) {
      NavigableSet<String> having = withRoomByCapability.getOrDefault(capability, new TreeSet<>());
      if (having.size() < smallest.size()) {
        smallest = having;
      }
    }
    return smallest;
  }

  /** Puts the participant in the sets of those with room, or takes it out. */
  private void refreshRoom(String participantId, Roster roster) {
    Optional<IndexedParticipant> p = roster.lookup(participantId);
    boolean room =
        p.isPresent()
            && p.get().status() == Status.ACTIVE
            && load(participantId) < p.get().maxConcurrentAttempts();
    withRoom.remove(participantId);
    for (String capability : capabilitiesWithRoom.getOrDefault(participantId, Set.of())) {
      NavigableSet<String> having = withRoomByCapability.get(capability);
      having.remove(participantId);
      if (having.isEmpty()) {
        withRoomByCapability.remove(capability);
      }
    }
    capabilitiesWithRoom.remove(participantId);
    if (!room) {
      return;
    }
    withRoom.add(participantId);
    capabilitiesWithRoom.put(participantId, p.get().capabilities());
    for (String capability : p.get().capabilities()) {
      withRoomByCapability.computeIfAbsent(capability, c -> new TreeSet<>()).add(participantId);
    }
  }

  private boolean anyCapable(Requirements requirements, Roster roster) {
    if (requirements.participant().isPresent()) {
      return roster
          .lookup(requirements.participant().get())
          .filter(p -> requirements.coveredBy(p) && roster.live(p))
          .isPresent();
    }
    return roster.participants().inWorkspace(workspace).stream()
        .anyMatch(p -> requirements.coveredBy(p) && roster.live(p));
  }

  private static Instant firstCheck(WorkStatus.Waiting w) {
    Instant start = w.waitingSince().plus(w.scheduleToStart());
    Optional<Instant> queueDeadline = w.maxQueueTime().map(w.waitingSince()::plus);
    return queueDeadline.filter(start::isAfter).orElse(start);
  }

  private List<BacklogView.WaitingMission> waitingInOrder(
      int limit, Optional<BacklogView.Place> after) {
    NavigableSet<Entry> all = new TreeSet<>(ORDER);
    all.addAll(waiting.values());
    Map<Requirements, Integer> positions = new HashMap<>();
    List<BacklogView.WaitingMission> page = new ArrayList<>();
    for (Entry entry : all) {
      WorkStatus.Waiting w = entry.status;
      // A mission in backoff is not in its queue yet: it would join behind the due ones ahead.
      int position =
          notYet.contains(entry)
              ? positions.getOrDefault(w.requirements(), 0) + 1
              : positions.merge(w.requirements(), 1, Integer::sum);
      if (after.filter(place -> PLACE.compare(place(entry), place) <= 0).isPresent()) {
        continue;
      }
      if (page.size() == limit) {
        break;
      }
      page.add(
          new BacklogView.WaitingMission(
              w.missionId(),
              w.attempt(),
              w.requirements(),
              w.priority(),
              w.submittedAt(),
              w.waitingSince(),
              w.notBefore(),
              position));
    }
    return page;
  }

  private static BacklogView.Place place(Entry entry) {
    return new BacklogView.Place(
        entry.status.priority(), entry.status.submittedAt(), entry.status.missionId());
  }

  private static Optional<Instant> earliest(Optional<Instant> a, Optional<Instant> b) {
    if (a.isEmpty()) {
      return b;
    }
    if (b.isEmpty()) {
      return a;
    }
    return Optional.of(a.get().isBefore(b.get()) ? a.get() : b.get());
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }
}
