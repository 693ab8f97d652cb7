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
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.PriorityQueue;
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
 * <p>Mutable, and owned by one actor: a hand-over costs O(log n) in the waiting missions (plus a
 * look at each queue's head, one queue per set of requirements), the next due time is read off
 * ordered sets, nothing is copied. It has no clock, no I/O and no actor: time and the participants
 * ({@link Roster}) are passed in, and {@code BacklogTest} drives it table by table.
 */
final class Backlog {

  /**
   * Offer attempt {@code attempt} of a mission to {@code participantId}. A mission waits for one
   * attempt with one set of requirements: the attempt number says which waiting it answers.
   */
  record Proposal(String missionId, int attempt, String participantId) {}

  /** Give a waiting mission up, and why. */
  record Verdict(String missionId, int attempt, String why) {}

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

  /** Dispatch order: priority (higher first), then submission, then id. */
  private static final Comparator<BacklogView.Place> PLACE =
      Comparator.<BacklogView.Place>comparingInt(p -> -p.priority())
          .thenComparing(BacklogView.Place::submittedAt)
          .thenComparing(BacklogView.Place::missionId);

  /** Queue order: the entries' places in dispatch order. */
  private static final Comparator<Entry> ORDER = Comparator.comparing(e -> e.place, PLACE);

  private static final Comparator<Entry> BY_NOT_BEFORE =
      Comparator.<Entry, Instant>comparing(e -> e.status.notBefore().orElse(Instant.MIN))
          .thenComparing(e -> e.status.missionId());

  private static final Comparator<Entry> BY_CHECK =
      Comparator.<Entry, Instant>comparing(e -> e.checkAt).thenComparing(e -> e.status.missionId());

  /** A waiting mission, or (without a status) a place to look up in a queue. */
  private static final class Entry {
    final WorkStatus.Waiting status;
    final BacklogView.Place place;
    Instant checkAt;

    Entry(WorkStatus.Waiting status, Instant checkAt) {
      this.status = status;
      this.place =
          new BacklogView.Place(status.priority(), status.submittedAt(), status.missionId());
      this.checkAt = checkAt;
    }

    private Entry(BacklogView.Place place) {
      this.status = null;
      this.place = place;
    }
  }

  /** An attempt a participant holds; {@code proposedAt} while the offer is not answered yet. */
  private record Hold(String participantId, int attempt, Optional<Instant> proposedAt) {}

  /** An offer proposed and not answered yet, in the order they were (last) sent. */
  private record Asked(Instant at, String missionId) implements Comparable<Asked> {
    @Override
    public int compareTo(Asked other) {
      int byTime = at.compareTo(other.at);
      return byTime != 0 ? byTime : missionId.compareTo(other.missionId);
    }
  }

  private final String workspace;
  private final int rememberedIdle;
  private final Map<String, Long> versions = new HashMap<>();
  private final LinkedHashMap<String, Long> idle = new LinkedHashMap<>();
  private final Map<String, Entry> waiting = new HashMap<>();
  private final Map<Requirements, NavigableSet<Entry>> queues = new HashMap<>();
  private final NavigableSet<Entry> notYet = new TreeSet<>(BY_NOT_BEFORE);
  private final NavigableSet<Entry> checks = new TreeSet<>(BY_CHECK);
  private final Map<String, Hold> holds = new HashMap<>();
  private final NavigableSet<Asked> unanswered = new TreeSet<>();
  private final Map<String, Set<String>> heldBy = new HashMap<>();
  private final NavigableSet<String> withRoom = new TreeSet<>();
  private final Map<String, NavigableSet<String>> withRoomByCapability = new HashMap<>();
  private final Map<String, Set<String>> capabilitiesWithRoom = new HashMap<>();
  private final Set<String> dirtyParticipants = new LinkedHashSet<>();
  private final NavigableSet<Entry> dirtyEntries = new TreeSet<>(ORDER);
  private Optional<String> lastChosen = Optional.empty();

  /**
   * {@code rememberedIdle}: how many finished (idle) missions' versions are kept, so that a status
   * of theirs arriving late (a slow answer, a lagging read side) is recognised as old.
   */
  Backlog(String workspace, int rememberedIdle) {
    this.workspace = workspace;
    this.rememberedIdle = rememberedIdle;
  }

  // What the missions say

  /**
   * Takes in a mission's status when it is newer than what the backlog knows; answers whether it
   * changed anything (a newer version that says the same, such as an offered attempt now running,
   * only moves the version on). {@code orEqual}: a status of the same version counts too (the
   * answer to a proposal that was not taken, which says the mission still waits).
   */
  boolean apply(WorkStatus status, Instant now, boolean orEqual) {
    if (!status.workspace().equals(workspace)) {
      return false;
    }
    String id = status.missionId();
    long known = version(id);
    if (status.version() < known || (status.version() == known && !orEqual)) {
      return false;
    }
    if (saysTheSame(status)) {
      if (status instanceof WorkStatus.Idle) {
        idle.put(id, status.version());
      } else {
        versions.put(id, status.version());
      }
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
      hold(h.missionId(), new Hold(h.participantId(), h.attempt(), Optional.empty()));
    } else {
      versions.remove(status.missionId());
      idle.put(status.missionId(), status.version());
      if (idle.size() > rememberedIdle) {
        idle.remove(idle.keySet().iterator().next());
      }
    }
    return true;
  }

  /** Whether the backlog already holds what {@code status} says, whatever its version. */
  private boolean saysTheSame(WorkStatus status) {
    String id = status.missionId();
    if (status instanceof WorkStatus.Holding h) {
      Hold hold = holds.get(id);
      return hold != null
          && hold.proposedAt().isEmpty()
          && hold.attempt() == h.attempt()
          && hold.participantId().equals(h.participantId());
    }
    if (status instanceof WorkStatus.Idle) {
      return idle.containsKey(id);
    }
    return false;
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
    boolean current = isProposed(proposal);
    if (!taken && current) {
      forget(proposal.missionId());
      versions.remove(proposal.missionId());
    }
    apply(answer, now, !taken && current);
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
        // Checked again after another schedule-to-start (never sooner than retry: a tiny
        // schedule-to-start must not turn into a busy loop), or at its queue deadline.
        Instant again =
            now.plus(w.scheduleToStart().compareTo(retry) < 0 ? retry : w.scheduleToStart());
        entry.checkAt = queueDeadline.filter(again::isAfter).orElse(again);
        checks.add(entry);
        continue;
      }
      entry.checkAt = now.plus(retry);
      checks.add(entry);
      verdicts.add(new Verdict(w.missionId(), w.attempt(), why));
    }
    return verdicts;
  }

  /** Proposals sent at least {@code retry} ago and not answered: to be sent again now. */
  List<Proposal> unanswered(Instant now, Duration retry) {
    List<Proposal> again = new ArrayList<>();
    while (!unanswered.isEmpty() && !unanswered.first().at().plus(retry).isAfter(now)) {
      String missionId = unanswered.pollFirst().missionId();
      Hold hold = holds.get(missionId);
      Hold renewed = new Hold(hold.participantId(), hold.attempt(), Optional.of(now));
      holds.put(missionId, renewed);
      unanswered.add(new Asked(now, missionId));
      again.add(new Proposal(missionId, hold.attempt(), hold.participantId()));
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
    if (!unanswered.isEmpty()) {
      next = earliest(next, Optional.of(unanswered.first().at().plus(retry)));
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

  /**
   * The version of the newest status known of the mission (waiting, holding or idle); -1 if none.
   */
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
      hold.proposedAt().ifPresent(at -> unanswered.remove(new Asked(at, missionId)));
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
    hold.proposedAt().ifPresent(at -> unanswered.add(new Asked(at, missionId)));
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
    hold(w.missionId(), new Hold(participantId, w.attempt(), Optional.of(now)));
    lastChosen = Optional.of(participantId);
    return new Proposal(w.missionId(), w.attempt(), participantId);
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
      if (withRoom.contains(id)) {
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
            && roster.live(p.get())
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

  /**
   * A page of the waiting missions in dispatch order after {@code after}: the queues (each in that
   * order already) and the missions in backoff, merged. Costs the page, plus counting the missions
   * ahead of the page's first in each of its queues; nothing is copied.
   */
  private List<BacklogView.WaitingMission> waitingInOrder(
      int limit, Optional<BacklogView.Place> after) {
    Optional<Entry> from = after.map(Entry::new);
    PriorityQueue<Source> sources = new PriorityQueue<>(Comparator.comparing(Source::head, ORDER));
    for (NavigableSet<Entry> queue : queues.values()) {
      Source.of(from.map(f -> queue.tailSet(f, false)).orElse(queue)).ifPresent(sources::add);
    }
    NavigableSet<Entry> backoff = new TreeSet<>(ORDER);
    for (Entry entry : notYet) {
      if (from.map(f -> ORDER.compare(entry, f) > 0).orElse(true)) {
        backoff.add(entry);
      }
    }
    Source.of(backoff).ifPresent(sources::add);
    Map<Requirements, Integer> next = new HashMap<>();
    List<BacklogView.WaitingMission> page = new ArrayList<>();
    while (page.size() < limit && !sources.isEmpty()) {
      Source source = sources.poll();
      source.advance().ifPresent(sources::add);
      Entry entry = source.head();
      WorkStatus.Waiting w = entry.status;
      int position;
      if (notYet.contains(entry)) {
        // Not in its queue yet: the place it will take there.
        position = ahead(entry) + 1;
      } else {
        position = next.computeIfAbsent(w.requirements(), r -> ahead(entry) + 1);
        next.put(w.requirements(), position + 1);
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

  /** How many due missions of its queue come before {@code entry}. */
  private int ahead(Entry entry) {
    NavigableSet<Entry> queue = queues.get(entry.status.requirements());
    return queue == null ? 0 : queue.headSet(entry, false).size();
  }

  /** The rest of one ordered set of entries, by its head. */
  private record Source(Entry head, Iterator<Entry> rest) {
    static Optional<Source> of(Iterable<Entry> entries) {
      Iterator<Entry> it = entries.iterator();
      return it.hasNext() ? Optional.of(new Source(it.next(), it)) : Optional.empty();
    }

    Optional<Source> advance() {
      return rest.hasNext() ? Optional.of(new Source(rest.next(), rest)) : Optional.empty();
    }
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
