package dev.muster.runtime.dispatch;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.registry.index.IndexState;
import dev.muster.registry.index.IndexedParticipant;
import dev.muster.registry.participant.Changes;
import dev.muster.registry.participant.Kind;
import dev.muster.registry.participant.Participant;
import dev.muster.registry.participant.Registration;
import dev.muster.registry.participant.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The backlog's rules, one test or table row each, driven with a fixed time and participants folded
 * from their events as the capability index folds them; then a seeded random run against a model of
 * the missions that checks the invariants after every step.
 */
class BacklogTest {
  private static final String WS = "ws";
  private static final Instant T0 = Instant.parse("2026-11-21T12:00:00Z");
  private static final Duration WINDOW = Duration.ofSeconds(30);
  private static final Duration RETRY = Duration.ofSeconds(2);
  private static final Duration START = Duration.ofSeconds(20);
  private static final Set<String> WORKER = Set.of("worker");
  private static final Set<String> JAVA = Set.of("java");

  /** One workspace's backlog, its participants as the index folds them, and the time. */
  private static final class Desk {
    final Backlog backlog = new Backlog(WS, 10_000);
    IndexState participants = IndexState.empty();
    Instant now = T0;
    long sequenceNr;

    /** Folds a participant event and tells the backlog, as the index subscription does. */
    Desk event(Participant.Event event) {
      participants = participants.apply(List.of(new IndexState.Change(++sequenceNr, event)));
      backlog.participantChanged(event.participantId());
      return this;
    }

    Desk join(String id, Set<String> capabilities, int max) {
      return join(id, WS, WORKER, capabilities, max, now);
    }

    Desk join(
        String id,
        String workspace,
        Set<String> roles,
        Set<String> capabilities,
        int max,
        Instant at) {
      Registration registration =
          new Registration(workspace, Kind.FLEET_WORKER, roles, capabilities, max);
      return event(new Participant.Registered(id, registration, at));
    }

    Desk heartbeat(String id) {
      return event(new Participant.HeartbeatRecorded(id, now));
    }

    Desk drain(String id) {
      return event(new Participant.DrainStarted(id, now, Optional.empty()));
    }

    Desk standDown(String id) {
      return event(new Participant.StoodDown(id, "done", now, Optional.empty()));
    }

    Desk wentOffline(String id) {
      return event(new Participant.WentOffline(id, now, now));
    }

    Desk limit(String id, int max) {
      return event(
          Participant.Updated.of(
              id, Changes.NONE.withMaxConcurrentAttempts(max), Optional.empty(), now));
    }

    Desk at(Instant instant) {
      now = instant;
      return this;
    }

    Backlog.Roster roster() {
      return new Backlog.Roster(WS, participants, now, WINDOW);
    }

    boolean submit(WorkStatus status) {
      return backlog.apply(status, now, false);
    }

    void answer(Backlog.Proposal proposal, WorkStatus answer) {
      backlog.answered(proposal, answer, now);
    }

    List<Backlog.Proposal> propose() {
      return backlog.dispatch(roster());
    }

    /** The proposals of a dispatch now, as "mission>participant". */
    List<String> dispatch() {
      return offers(propose());
    }

    List<Backlog.Verdict> verdicts() {
      return backlog.verdicts(roster(), RETRY);
    }

    /** A page after the place of the mission {@code after} (which must be waiting). */
    BacklogView view(int limit, Optional<String> after) {
      return backlog.view(roster(), limit, after.map(this::placeOf));
    }

    BacklogView.Place placeOf(String missionId) {
      return backlog.view(roster(), Integer.MAX_VALUE, Optional.empty()).missions().stream()
          .filter(m -> m.missionId().equals(missionId))
          .findFirst()
          .orElseThrow()
          .place();
    }

    int load(String participantId) {
      return backlog.load(participantId);
    }
  }

  private static List<String> offers(List<Backlog.Proposal> proposals) {
    return proposals.stream().map(p -> p.missionId() + ">" + p.participantId()).toList();
  }

  private static Backlog.Proposal single(List<Backlog.Proposal> proposals) {
    assertEquals(1, proposals.size(), "one proposal: " + offers(proposals));
    return proposals.get(0);
  }

  private static Requirements needs(String... capabilities) {
    return new Requirements(Set.of(capabilities), Set.of(), Optional.empty());
  }

  private static Requirements needsRole(String role, String... capabilities) {
    return new Requirements(Set.of(capabilities), Set.of(role), Optional.empty());
  }

  private static Requirements named(String participantId) {
    return new Requirements(Set.of(), Set.of(), Optional.of(participantId));
  }

  /** Attempt 1, version 1, waiting since its submission, schedule-to-start {@link #START}. */
  private static WorkStatus.Waiting waiting(
      String id, Requirements needs, int priority, Instant submittedAt) {
    return new WorkStatus.Waiting(
        id,
        WS,
        1,
        1,
        needs,
        priority,
        submittedAt,
        Optional.empty(),
        submittedAt,
        START,
        Optional.empty(),
        List.of());
  }

  /** Attempt 1, version 1, submitted at T0, with these timeouts. */
  private static WorkStatus.Waiting waitingFor(
      String id, Requirements needs, Duration scheduleToStart, Optional<Duration> maxQueueTime) {
    return new WorkStatus.Waiting(
        id, WS, 1, 1, needs, 0, T0, Optional.empty(), T0, scheduleToStart, maxQueueTime, List.of());
  }

  /** A later attempt of a mission submitted a minute before T0, waiting again since T0. */
  private static WorkStatus.Waiting retry(
      String id,
      long version,
      int attempt,
      Requirements needs,
      List<String> avoid,
      Optional<Instant> notBefore) {
    return new WorkStatus.Waiting(
        id,
        WS,
        version,
        attempt,
        needs,
        0,
        T0.minusSeconds(60),
        notBefore,
        T0,
        START,
        Optional.empty(),
        avoid);
  }

  private static WorkStatus.Holding holding(
      String id, long version, int attempt, String participantId) {
    return new WorkStatus.Holding(id, WS, version, attempt, participantId);
  }

  private static WorkStatus.Idle idle(String id, long version) {
    return new WorkStatus.Idle(id, WS, version);
  }

  private static Arguments row(String rule, Consumer<Desk> setup, Object... rest) {
    Object[] all = new Object[rest.length + 2];
    all[0] = rule;
    all[1] = setup;
    System.arraycopy(rest, 0, all, 2, rest.length);
    return Arguments.of(all);
  }

  // 1. Who may take a mission

  /** Participants, the mission's requirements, and the offers of the dispatch that follows. */
  static Stream<Arguments> placements() {
    return Stream.of(
        row(
            "a live participant with the capabilities and roles takes it",
            d -> d.join("p1", WS, Set.of("builder"), Set.of("java", "maven"), 1, T0),
            needsRole("builder", "java"),
            List.of("m>p1")),
        row(
            "not one of another workspace",
            d -> d.join("p1", "elsewhere", WORKER, JAVA, 1, T0),
            needs("java"),
            List.of()),
        row("not a draining one", d -> d.join("p1", JAVA, 1).drain("p1"), needs("java"), List.of()),
        row(
            "not a stood-down one",
            d -> d.join("p1", JAVA, 1).standDown("p1"),
            needs("java"),
            List.of()),
        row(
            "not one last heard of longer ago than the liveness window",
            d -> d.join("p1", WS, WORKER, JAVA, 1, T0.minus(WINDOW)),
            needs("java"),
            List.of()),
        row(
            "not one the registry marked offline",
            d -> d.join("p1", JAVA, 1).wentOffline("p1"),
            needs("java"),
            List.of()),
        row(
            "one registered long ago that sent a heartbeat within the window",
            d ->
                d.join("p1", WS, WORKER, JAVA, 1, T0.minus(WINDOW).minusSeconds(60))
                    .heartbeat("p1"),
            needs("java"),
            List.of("m>p1")),
        row(
            "not one lacking a capability",
            d -> d.join("p1", JAVA, 1),
            needs("java", "maven"),
            List.of()),
        row(
            "not one lacking a role",
            d -> d.join("p1", JAVA, 1),
            needsRole("reviewer", "java"),
            List.of()),
        row(
            "the one with the capability among several",
            d -> d.join("p1", Set.of("py"), 1).join("p2", JAVA, 1).join("p3", Set.of("go"), 1),
            needs("java"),
            List.of("m>p2")),
        row(
            "a named participant, though another comes first in turn",
            d -> d.join("p1", JAVA, 1).join("p2", JAVA, 1),
            named("p2"),
            List.of("m>p2")),
        row(
            "a named participant without the capabilities the work kept (a handoff to it)",
            d -> d.join("p1", JAVA, 1).join("p2", Set.of("review"), 1),
            new Requirements(JAVA, Set.of(), Optional.of("p2")),
            List.of("m>p2")),
        row(
            "nobody when the named participant has no room, though another has",
            d -> d.join("p1", JAVA, 1).join("p2", JAVA, 1).submit(holding("busy", 2, 1, "p2")),
            named("p2"),
            List.of()),
        row(
            "nobody when the named participant stood down",
            d -> d.join("p1", JAVA, 1).join("p2", JAVA, 1).standDown("p2"),
            named("p2"),
            List.of()),
        row(
            "nobody when the named participant is of another workspace",
            d -> d.join("p1", JAVA, 1).join("p2", "elsewhere", WORKER, JAVA, 1, T0),
            named("p2"),
            List.of()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("placements")
  void aWaitingMissionGoesAtOnceToALiveParticipantWithRoomCoveringIt(
      String rule, Consumer<Desk> participants, Requirements needs, List<String> expected) {
    Desk desk = new Desk();
    participants.accept(desk);
    assertEquals(List.of(), desk.dispatch());
    desk.submit(waiting("m", needs, 0, T0));
    assertEquals(expected, desk.dispatch(), rule);
  }

  @Test
  void aParticipantThatJoinsOrComesBackTakesTheWorkThatWaitsForIt() {
    Desk desk = new Desk();
    desk.submit(waiting("m1", needs("java"), 0, T0));
    desk.submit(waiting("m2", needs("java"), 0, T0.plusSeconds(1)));
    assertEquals(List.of(), desk.dispatch());
    desk.join("p1", JAVA, 1);
    assertEquals(List.of("m1>p1"), desk.dispatch());
    desk.join("p2", WS, WORKER, JAVA, 1, T0.minus(WINDOW));
    assertEquals(List.of(), desk.dispatch(), "p2 is offline");
    desk.heartbeat("p2");
    assertEquals(List.of("m2>p2"), desk.dispatch());
  }

  // 2. Capacity

  @Test
  void aParticipantIsNeverProposedMoreThanItsMaxConcurrentAttempts() {
    Desk desk = new Desk().join("p1", JAVA, 2);
    desk.submit(holding("running", 5, 1, "p1"));
    for (int i = 1; i <= 4; i++) {
      desk.submit(waiting("m" + i, needs("java"), 0, T0.plusSeconds(i)));
    }
    assertEquals(List.of("m1>p1"), desk.dispatch(), "one held and one proposed make two");
    assertEquals(2, desk.load("p1"));
    desk.backlog.everyParticipantChanged(desk.roster());
    assertEquals(List.of(), desk.dispatch());
    desk.answer(new Backlog.Proposal("m1", 1, "p1"), holding("m1", 2, 1, "p1"));
    assertEquals(List.of(), desk.dispatch(), "an accepted offer still takes the room");
    assertEquals(2, desk.load("p1"));
  }

  /** How a participant's hold of m0 ends. */
  static Stream<Arguments> endsOfAHold() {
    return Stream.of(
        Arguments.of("the attempt ended (idle)", idle("m0", 3)),
        Arguments.of(
            "the mission waits for its next attempt",
            retry("m0", 3, 2, needs("java"), List.of(), Optional.empty())));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("endsOfAHold")
  void whenAHoldEndsTheFreedRoomGoesToTheBestWaitingMission(String how, WorkStatus end) {
    Desk desk = new Desk().join("p1", JAVA, 1);
    desk.submit(holding("m0", 2, 1, "p1"));
    desk.submit(waiting("low", needs("java"), 1, T0));
    desk.submit(waiting("high", needs("java"), 9, T0.plusSeconds(5)));
    assertEquals(List.of(), desk.dispatch());
    desk.submit(end);
    assertEquals(List.of("high>p1"), desk.dispatch(), how);
    assertEquals(1, desk.load("p1"));
  }

  @Test
  void aRaisedLimitIsFilledAtOnceAndALoweredOneTakesNothingNewUntilTheLoadIsBelowIt() {
    Desk desk = new Desk().join("p1", JAVA, 1);
    for (String id : List.of("a", "b", "c", "d", "e")) {
      desk.submit(waiting(id, needs("java"), 0, T0));
    }
    assertEquals(List.of("a>p1"), desk.dispatch());
    desk.limit("p1", 3);
    assertEquals(List.of("b>p1", "c>p1"), desk.dispatch());
    desk.limit("p1", 1);
    desk.submit(idle("a", 2));
    assertEquals(List.of(), desk.dispatch(), "two held, limit one");
    desk.submit(idle("b", 2));
    assertEquals(List.of(), desk.dispatch(), "one held, limit one");
    desk.submit(idle("c", 2));
    assertEquals(List.of("d>p1"), desk.dispatch());
  }

  // 3. Order

  @Test
  void aParticipantWithRoomForOneTakesMissionsByPriorityThenSubmissionThenId() {
    Desk desk = new Desk().join("p1", JAVA, 1);
    desk.submit(holding("first", 2, 1, "p1"));
    desk.submit(waiting("e", needs("java"), 0, T0));
    desk.submit(waiting("a", needs("java"), 1, T0.plusSeconds(1)));
    desk.submit(waiting("d", needs("java"), 5, T0.plusSeconds(2)));
    desk.submit(waiting("b", needs("java"), 5, T0.plusSeconds(3)));
    desk.submit(waiting("c", needs("java"), 5, T0.plusSeconds(2)));
    assertEquals(List.of(), desk.dispatch());
    desk.submit(idle("first", 3));
    List<String> taken = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Backlog.Proposal p = single(desk.propose());
      taken.add(p.missionId());
      long version = desk.backlog.version(p.missionId());
      desk.answer(p, holding(p.missionId(), version + 1, p.attempt(), "p1"));
      desk.submit(idle(p.missionId(), version + 2));
    }
    assertEquals(List.of("c", "d", "b", "a", "e"), taken);
  }

  /** The priority of a mission that arrives as the participant frees, and what it takes. */
  static Stream<Arguments> arrivalsAsTheParticipantFrees() {
    return Stream.of(
        Arguments.of(4, "py-old"), Arguments.of(5, "py-old"), Arguments.of(9, "newcomer"));
  }

  @ParameterizedTest(name = "a newcomer of priority {0}: {1} is taken")
  @MethodSource("arrivalsAsTheParticipantFrees")
  void aFreedParticipantTakesTheOldestMissionOfTheHighestPriorityAcrossItsQueues(
      int newcomerPriority, String taken) {
    Desk desk = new Desk().join("p1", Set.of("java", "py"), 1);
    desk.submit(holding("m0", 2, 1, "p1"));
    desk.submit(waiting("java-low", needs("java"), 1, T0));
    desk.submit(waiting("py-old", needs("py"), 5, T0.plusSeconds(1)));
    desk.submit(waiting("both-young", needs("java", "py"), 5, T0.plusSeconds(2)));
    desk.submit(waiting("py-young", needs("py"), 5, T0.plusSeconds(3)));
    desk.submit(waiting("go", needs("go"), 9, T0));
    assertEquals(List.of(), desk.dispatch());
    desk.at(T0.plusSeconds(10));
    desk.submit(idle("m0", 3));
    desk.submit(waiting("newcomer", needs("java"), newcomerPriority, desk.now));
    assertEquals(List.of(taken + ">p1"), desk.dispatch());
  }

  // 4. Fairness among participants

  @Test
  void theLeastLoadedParticipantGoesFirst() {
    Desk desk = new Desk().join("p1", JAVA, 3).join("p2", JAVA, 3).join("p3", JAVA, 3);
    desk.submit(holding("h1", 2, 1, "p1"));
    desk.submit(holding("h2", 2, 1, "p1"));
    desk.submit(holding("h3", 2, 1, "p2"));
    assertEquals(List.of(), desk.dispatch());
    for (String id : List.of("a", "b", "c", "d", "e")) {
      desk.submit(waiting(id, needs("java"), 0, T0));
    }
    assertEquals(List.of("a>p3", "b>p2", "c>p3", "d>p1", "e>p2"), desk.dispatch());
  }

  @Test
  void equallyLoadedParticipantsTakeTurns() {
    Desk desk = new Desk().join("p1", JAVA, 2).join("p2", JAVA, 2).join("p3", JAVA, 2);
    assertEquals(List.of(), desk.dispatch());
    for (int i = 1; i <= 6; i++) {
      desk.submit(waiting("m" + i, needs("java"), 0, T0));
    }
    assertEquals(List.of("m1>p1", "m2>p2", "m3>p3", "m4>p1", "m5>p2", "m6>p3"), desk.dispatch());
  }

  @Test
  void turnsGoOnFromStepToStepWhenEveryoneIsIdleAgain() {
    Desk desk = new Desk().join("p1", JAVA, 1).join("p2", JAVA, 1).join("p3", JAVA, 1);
    assertEquals(List.of(), desk.dispatch());
    List<String> chosen = new ArrayList<>();
    for (int i = 1; i <= 6; i++) {
      desk.submit(waiting("m" + i, needs("java"), 0, T0));
      chosen.add(single(desk.propose()).participantId());
      desk.submit(idle("m" + i, 2));
      assertEquals(List.of(), desk.dispatch());
    }
    assertEquals(List.of("p1", "p2", "p3", "p1", "p2", "p3"), chosen);
  }

  @Test
  void afterAStartEqualParticipantsShareTheOpenWork() {
    // A dispatcher that starts takes the open work, then looks at every participant at once.
    Desk desk = new Desk().join("p1", JAVA, 3).join("p2", JAVA, 3);
    for (String id : List.of("a", "b", "c", "d")) {
      desk.submit(waiting(id, needs("java"), 0, T0));
    }
    desk.backlog.everyParticipantChanged(desk.roster());
    desk.dispatch();
    assertEquals(
        List.of(2, 2),
        List.of(desk.load("p1"), desk.load("p2")),
        "least loaded first: the second mission goes to the idle p2, not to p1 that holds one");
  }

  // 5. A retry avoids the participants it failed with

  /** What p2 holds besides, and who takes a retry that avoids p1 (both may hold two). */
  static Stream<Arguments> retries() {
    return Stream.of(
        Arguments.of("both have room: the one it did not fail with", 0, "p2"),
        Arguments.of("the one it did not fail with, though it is busier", 1, "p2"),
        Arguments.of("only the avoided one has room: the avoided one", 2, "p1"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("retries")
  void aRetryPrefersParticipantsItDidNotFailWith(String rule, int heldByP2, String expected) {
    Desk desk = new Desk().join("p1", JAVA, 2).join("p2", JAVA, 2);
    for (int i = 0; i < heldByP2; i++) {
      desk.submit(holding("other" + i, 2, 1, "p2"));
    }
    assertEquals(List.of(), desk.dispatch());
    desk.submit(retry("m", 3, 2, needs("java"), List.of("p1"), Optional.empty()));
    assertEquals(List.of("m>" + expected), desk.dispatch(), rule);
  }

  @Test
  void aRetryInBackoffGoesToAnotherParticipantThanTheOneItFailedWith() {
    Desk desk = new Desk().join("p1", JAVA, 1).join("p2", JAVA, 1);
    desk.submit(waiting("m", needs("java"), 0, T0));
    Backlog.Proposal first = single(desk.propose());
    assertEquals("p1", first.participantId());
    desk.answer(first, holding("m", 2, 1, "p1"));
    Instant notBefore = T0.plusSeconds(5);
    desk.submit(retry("m", 3, 2, needs("java"), List.of("p1"), Optional.of(notBefore)));
    assertEquals(List.of(), desk.dispatch());
    desk.at(notBefore);
    assertEquals(List.of("m>p2"), desk.dispatch());
  }

  @Test
  void aRetryAtOnceGoesToAnotherParticipantThanTheOneItsFailedAttemptJustFreed() {
    Desk desk = new Desk().join("p1", JAVA, 1).join("p2", JAVA, 1);
    desk.submit(waiting("m", needs("java"), 0, T0));
    Backlog.Proposal first = single(desk.propose());
    assertEquals("p1", first.participantId());
    desk.answer(first, holding("m", 2, 1, "p1"));
    // Attempt 1 failed on p1; the mission waits again at once (no backoff), avoiding p1.
    desk.submit(retry("m", 3, 2, needs("java"), List.of("p1"), Optional.empty()));
    assertEquals(List.of("m>p2"), desk.dispatch(), "p2 has room and is not avoided");
  }

  // 6. A retry's backoff

  @Test
  void aMissionInBackoffIsProposedOnlyOnceItsNotBeforeHasCome() {
    Desk desk = new Desk().join("p1", JAVA, 1);
    assertEquals(List.of(), desk.dispatch());
    Instant notBefore = T0.plusSeconds(10);
    desk.submit(retry("m", 3, 2, needs("java"), List.of(), Optional.of(notBefore)));
    assertEquals(List.of(), desk.dispatch());
    assertEquals(Optional.of(notBefore), desk.backlog.nextDue(RETRY));
    assertEquals(1, desk.view(10, Optional.empty()).inBackoff());
    desk.at(notBefore.minusMillis(1));
    assertEquals(List.of(), desk.dispatch());
    desk.at(notBefore);
    assertEquals(List.of("m>p1"), desk.dispatch());
    assertEquals(0, desk.view(10, Optional.empty()).inBackoff());
  }

  @Test
  void aMissionWhoseBackoffHasAlreadyEndedIsProposedAtOnce() {
    Desk desk = new Desk().join("p1", JAVA, 1);
    assertEquals(List.of(), desk.dispatch());
    desk.submit(retry("m", 3, 2, needs("java"), List.of(), Optional.of(T0.minusSeconds(1))));
    assertEquals(List.of("m>p1"), desk.dispatch());
  }

  @Test
  void nothingIsDueInAnEmptyBacklog() {
    Desk desk = new Desk();
    assertEquals(Optional.empty(), desk.backlog.nextDue(RETRY));
    assertTrue(desk.backlog.isEmpty());
  }

  // 7. Versions

  /** What the backlog knew of m, a status that comes in, taken in?, p1's load, waiting after. */
  static Stream<Arguments> versions() {
    return Stream.of(
        Arguments.of(
            "a lower version is ignored",
            List.of(holding("m", 5, 1, "p1")),
            retry("m", 4, 2, needs("java"), List.of(), Optional.empty()),
            false,
            1,
            0),
        Arguments.of(
            "an equal version is ignored",
            List.of(holding("m", 5, 1, "p1")),
            idle("m", 5),
            false,
            1,
            0),
        Arguments.of(
            "a higher version is taken in",
            List.of(holding("m", 5, 1, "p1")),
            retry("m", 6, 2, needs("go"), List.of(), Optional.empty()),
            true,
            0,
            1),
        Arguments.of(
            "a higher version that says the same (the offered attempt now runs) moves the version on",
            List.of(holding("m", 5, 1, "p1")),
            holding("m", 6, 1, "p1"),
            false,
            1,
            0),
        Arguments.of(
            "a higher idle after an idle moves the version on",
            List.of(idle("m", 5)),
            idle("m", 7),
            false,
            0,
            0),
        Arguments.of(
            "a status older than the first one known, an idle one, is ignored",
            List.of(idle("m", 5)),
            holding("m", 4, 1, "p1"),
            false,
            0,
            0),
        Arguments.of(
            "an unknown mission's status is taken in",
            List.of(),
            holding("m", 1, 1, "p1"),
            true,
            1,
            0),
        Arguments.of(
            "another workspace's status is ignored",
            List.of(),
            new WorkStatus.Holding("m", "elsewhere", 1, 1, "p1"),
            false,
            0,
            0));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("versions")
  void ofTwoStatusesOfAMissionTheHigherVersionWins(
      String rule,
      List<WorkStatus> known,
      WorkStatus incoming,
      boolean takenIn,
      int loadOfP1,
      int waiting) {
    Desk desk = new Desk().join("p1", JAVA, 2);
    known.forEach(desk::submit);
    assertEquals(takenIn, desk.submit(incoming), rule);
    assertEquals(loadOfP1, desk.load("p1"), rule);
    assertEquals(waiting, desk.view(10, Optional.empty()).waiting(), rule);
    assertEquals(
        Math.max(
            incoming.version(), known.stream().mapToLong(WorkStatus::version).max().orElse(-1)),
        incoming.workspace().equals(WS) ? desk.backlog.version("m") : incoming.version(),
        rule + ": the newest version is known");
  }

  /** A mission's history up to its end (idle, version 5), then a late status of version 3. */
  static Stream<Arguments> lateStatusesAfterTheEnd() {
    return Stream.of(
        Arguments.of(
            "a late holding after waiting, holding, idle",
            List.of(waiting("m", needs("java"), 0, T0), holding("m", 2, 1, "p1"), idle("m", 5)),
            holding("m", 3, 1, "p1")),
        Arguments.of(
            "a late waiting after waiting, idle",
            List.of(waiting("m", needs("go"), 0, T0), idle("m", 5)),
            retry("m", 3, 2, needs("go"), List.of(), Optional.empty())),
        Arguments.of(
            "the idle status again after waiting, idle",
            List.of(waiting("m", needs("go"), 0, T0), idle("m", 5)),
            idle("m", 5)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("lateStatusesAfterTheEnd")
  void aStatusNoNewerThanTheIdleThatEndedAMissionIsIgnored(
      String history, List<WorkStatus> known, WorkStatus late) {
    Desk desk = new Desk().join("p1", JAVA, 1);
    known.forEach(desk::submit);
    long versionKnown = desk.backlog.version("m");
    boolean takenIn = desk.submit(late);
    assertAll(
        () -> assertFalse(takenIn, "taken in: " + late),
        () -> assertEquals(0, desk.load("p1"), "a finished mission takes no room"),
        () -> assertEquals(Set.of(), desk.backlog.known(), "a finished mission is not open"),
        () -> assertEquals(List.of(), desk.dispatch(), "a finished mission is not offered"),
        () -> assertEquals(5, versionKnown, "the version known after the idle status"));
  }

  /** The answer to the proposal of m (version 1) to p1, and after it: p1's, p2's load, waiting. */
  static Stream<Arguments> answers() {
    return Stream.of(
        Arguments.of(
            "it still waits (the same version): p1 is free, m is queued again",
            waiting("m", needs("java"), 0, T0),
            0,
            0,
            1),
        Arguments.of("it is idle: p1 is free, m is gone", idle("m", 2), 0, 0, 0),
        Arguments.of(
            "it holds another participant: p1 is free, p2's room is taken",
            holding("m", 2, 1, "p2"),
            0,
            1,
            0),
        Arguments.of(
            "it waits for a later attempt: p1 is free, m is queued again",
            retry("m", 2, 2, needs("java"), List.of(), Optional.empty()),
            0,
            0,
            1),
        Arguments.of(
            "it holds the proposed participant: the proposal is confirmed",
            holding("m", 2, 1, "p1"),
            1,
            0,
            0));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("answers")
  void theAnswerToAProposalConfirmsItOrFreesTheParticipant(
      String rule, WorkStatus answer, int loadOfP1, int loadOfP2, int waiting) {
    Desk desk = new Desk().join("p1", JAVA, 1).join("p2", JAVA, 1);
    desk.submit(waiting("m", needs("java"), 0, T0));
    Backlog.Proposal proposal = single(desk.propose());
    assertEquals("p1", proposal.participantId());
    desk.answer(proposal, answer);
    assertEquals(loadOfP1, desk.load("p1"), rule);
    assertEquals(loadOfP2, desk.load("p2"), rule);
    assertEquals(waiting, desk.view(10, Optional.empty()).waiting(), rule);
    assertEquals(
        List.of(),
        desk.backlog.unanswered(T0.plus(RETRY).plus(RETRY), RETRY),
        "an answered proposal is not sent again");
  }

  // 8. Unanswered proposals

  @Test
  void aProposalNotAnsweredWithinTheRetryIntervalIsSentAgainAndItsTimeRenewed() {
    Desk desk = new Desk().join("p1", JAVA, 1);
    desk.submit(waiting("m", needs("java"), 0, T0));
    Backlog.Proposal proposal = single(desk.propose());
    Instant first = T0.plus(RETRY);
    Instant second = first.plus(RETRY);
    assertEquals(Optional.of(first), desk.backlog.nextDue(RETRY));
    assertEquals(List.of(), desk.backlog.unanswered(first.minusMillis(1), RETRY));
    assertEquals(List.of(proposal), desk.backlog.unanswered(first, RETRY));
    assertEquals(Optional.of(second), desk.backlog.nextDue(RETRY));
    assertEquals(List.of(), desk.backlog.unanswered(second.minusMillis(1), RETRY));
    assertEquals(List.of(proposal), desk.backlog.unanswered(second, RETRY));
    assertEquals(1, desk.load("p1"), "the room stays taken meanwhile");
  }

  // 9. Giving up

  /** Participants of which none could take a mission with these requirements. */
  static Stream<Arguments> nobodyCapable() {
    return Stream.of(
        row("nobody registered", d -> {}, needs("java")),
        row(
            "only participants of another workspace",
            d -> d.join("p1", "elsewhere", WORKER, JAVA, 1, T0),
            needs("java")),
        row(
            "the capable ones are offline",
            d -> d.join("p1", WS, WORKER, JAVA, 1, T0.minus(WINDOW).minusSeconds(1)),
            needs("java")),
        row(
            "the capable ones stood down",
            d -> d.join("p1", JAVA, 1).join("p2", JAVA, 1).standDown("p1").standDown("p2"),
            needs("java")),
        row("the capable ones are draining", d -> d.join("p1", JAVA, 1).drain("p1"), needs("java")),
        row("the live ones lack a capability", d -> d.join("p1", JAVA, 1), needs("java", "go")),
        row(
            "the named participant stood down, though others are capable",
            d -> d.join("p1", JAVA, 1).join("p2", JAVA, 1).standDown("p2"),
            named("p2")),
        row("the named participant is unknown", d -> d.join("p1", JAVA, 1), named("p9")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("nobodyCapable")
  void aMissionNobodyCapableCouldTakeIsGivenUpAfterItsScheduleToStart(
      String rule, Consumer<Desk> participants, Requirements needs) {
    Desk desk = new Desk();
    participants.accept(desk);
    desk.submit(waitingFor("m", needs, START, Optional.empty()));
    assertEquals(List.of(), desk.dispatch());
    assertEquals(Optional.of(T0.plus(START)), desk.backlog.nextDue(RETRY));
    desk.at(T0.plus(START).minusMillis(1));
    assertEquals(List.of(), desk.verdicts(), rule);
    desk.at(T0.plus(START));
    List<Backlog.Verdict> verdicts = desk.verdicts();
    assertEquals(1, verdicts.size(), rule);
    Backlog.Verdict verdict = verdicts.get(0);
    assertEquals("m", verdict.missionId());
    assertEquals(1, verdict.attempt());
    assertTrue(verdict.why().startsWith("no capable participant took the mission"), verdict.why());
    assertTrue(verdict.why().contains("none with " + needs), verdict.why());
  }

  @Test
  void aMissionWhoseCapableParticipantsAreBusyWaitsAndIsCheckedAgainAfterAnotherScheduleToStart() {
    Desk desk = new Desk().join("p1", JAVA, 1);
    desk.submit(holding("running", 2, 1, "p1"));
    desk.submit(waitingFor("m", needs("java"), START, Optional.empty()));
    assertEquals(List.of(), desk.dispatch());
    desk.at(T0.plus(START));
    assertEquals(List.of(), desk.verdicts(), "p1 is busy, not incapable");
    assertEquals(Optional.of(T0.plus(START).plus(START)), desk.backlog.nextDue(RETRY));
    desk.at(T0.plus(START).plusSeconds(5)).heartbeat("p1");
    desk.at(T0.plus(START).plus(START));
    assertEquals(List.of(), desk.verdicts(), "p1 is still there");
    desk.at(T0.plus(START).plus(START).plusSeconds(5)).standDown("p1");
    Instant third = T0.plus(START).plus(START).plus(START);
    desk.at(third.minusMillis(1));
    assertEquals(List.of(), desk.verdicts(), "checked only after another schedule-to-start");
    desk.at(third);
    List<Backlog.Verdict> verdicts = desk.verdicts();
    assertEquals(List.of("m"), verdicts.stream().map(Backlog.Verdict::missionId).toList());
    assertTrue(verdicts.get(0).why().startsWith("no capable participant"), verdicts.get(0).why());
  }

  @Test
  void aMissionThatWaitedItsMaxQueueTimeIsGivenUpThoughCapableParticipantsExist() {
    Duration maxQueue = Duration.ofSeconds(30);
    Desk desk = new Desk().join("p1", JAVA, 1);
    desk.submit(holding("running", 2, 1, "p1"));
    desk.submit(waitingFor("m", needs("java"), START, Optional.of(maxQueue)));
    assertEquals(List.of(), desk.dispatch());
    desk.at(T0.plus(START));
    assertEquals(List.of(), desk.verdicts());
    assertEquals(
        Optional.of(T0.plus(maxQueue)),
        desk.backlog.nextDue(RETRY),
        "the queue deadline comes before another schedule-to-start");
    desk.at(T0.plusSeconds(25)).heartbeat("p1");
    desk.at(T0.plus(maxQueue));
    List<Backlog.Verdict> verdicts = desk.verdicts();
    assertEquals(1, verdicts.size());
    assertEquals(
        "capable participants exist but were all busy for 30 s (max_queue_time)",
        verdicts.get(0).why());
  }

  @Test
  void aMaxQueueTimeShorterThanTheScheduleToStartIsCheckedFirst() {
    Desk desk = new Desk().join("p1", JAVA, 1);
    desk.submit(holding("running", 2, 1, "p1"));
    desk.submit(waitingFor("m", needs("java"), START, Optional.of(Duration.ofSeconds(5))));
    assertEquals(List.of(), desk.dispatch());
    assertEquals(Optional.of(T0.plusSeconds(5)), desk.backlog.nextDue(RETRY));
    desk.at(T0.plusSeconds(5));
    assertEquals(
        List.of("capable participants exist but were all busy for 5 s (max_queue_time)"),
        desk.verdicts().stream().map(Backlog.Verdict::why).toList());
  }

  @Test
  void aVerdictIsRepeatedAfterTheRetryIntervalUntilTheMissionsStatusTakesItOut() {
    Desk desk = new Desk();
    desk.submit(waitingFor("m", needs("java"), START, Optional.empty()));
    desk.at(T0.plus(START));
    List<Backlog.Verdict> first = desk.verdicts();
    assertEquals(1, first.size());
    desk.at(T0.plus(START).plus(RETRY).minusMillis(1));
    assertEquals(List.of(), desk.verdicts());
    desk.at(T0.plus(START).plus(RETRY));
    assertEquals(first, desk.verdicts(), "the same verdict again");
    assertEquals(Optional.of(T0.plus(START).plus(RETRY).plus(RETRY)), desk.backlog.nextDue(RETRY));
    desk.submit(idle("m", 2));
    desk.at(T0.plus(START).plus(RETRY).plus(RETRY));
    assertEquals(List.of(), desk.verdicts());
    assertTrue(desk.backlog.isEmpty());
    assertEquals(Optional.empty(), desk.backlog.nextDue(RETRY));
  }

  // 10. The view

  /** Nobody to take anything: java missions j1..j3 and py mission y1 wait. */
  private static Desk fourWaiting() {
    Desk desk = new Desk();
    desk.submit(waiting("j1", needs("java"), 0, T0.plusSeconds(3)));
    desk.submit(waiting("j2", needs("java"), 5, T0.plusSeconds(4)));
    desk.submit(waiting("j3", needs("java"), 0, T0.plusSeconds(2)));
    desk.submit(waiting("y1", needs("py"), 1, T0.plusSeconds(1)));
    desk.dispatch();
    return desk;
  }

  private static List<String> positions(BacklogView view) {
    return view.missions().stream().map(m -> m.missionId() + "#" + m.position()).toList();
  }

  @Test
  void theViewShowsEachQueuesDepthAndOldestAndTheMissionsInDispatchOrderWithTheirPositions() {
    BacklogView view = fourWaiting().view(10, Optional.empty());
    assertEquals(WS, view.workspace());
    assertEquals(4, view.waiting());
    assertEquals(0, view.inBackoff());
    assertEquals(0, view.holding());
    assertEquals(
        List.of(
            new BacklogView.Queue(needs("py"), 1, T0.plusSeconds(1)),
            new BacklogView.Queue(needs("java"), 3, T0.plusSeconds(2))),
        view.queues());
    assertEquals(List.of("j2#1", "y1#1", "j3#2", "j1#3"), positions(view));
    BacklogView.WaitingMission j2 = view.missions().get(0);
    assertEquals(
        new BacklogView.WaitingMission(
            "j2", 1, needs("java"), 5, T0.plusSeconds(4), T0.plusSeconds(4), Optional.empty(), 1),
        j2);
    assertEquals(List.of(), view.participants());
  }

  @Test
  void theViewPagesAfterAMissionId() {
    Desk desk = fourWaiting();
    assertEquals(List.of("j2#1", "y1#1"), positions(desk.view(2, Optional.empty())));
    assertEquals(List.of("j3#2", "j1#3"), positions(desk.view(2, Optional.of("y1"))));
    assertEquals(List.of("j1#3"), positions(desk.view(2, Optional.of("j3"))));
    assertEquals(List.of(), positions(desk.view(2, Optional.of("j1"))));
  }

  @Test
  void aPageStartsAfterThePlaceOfThePreviousPagesLastMissionThoughItWasDispatchedMeanwhile() {
    Desk desk = fourWaiting();
    BacklogView.Place y1 = desk.placeOf("y1");
    desk.join("py-worker", Set.of("py"), 1);
    assertEquals("y1", single(desk.propose()).missionId());
    assertEquals(
        List.of("j3#2", "j1#3"), positions(desk.backlog.view(desk.roster(), 2, Optional.of(y1))));
  }

  @Test
  void theViewShowsTheLoadOfEachParticipantThatHoldsSomething() {
    Desk desk = new Desk().join("p1", JAVA, 3).join("p2", JAVA, 1).join("p3", JAVA, 2);
    desk.join("p4", JAVA, 1);
    desk.submit(holding("a", 2, 1, "p1"));
    desk.submit(holding("b", 2, 1, "p1"));
    desk.submit(holding("c", 2, 1, "p2"));
    assertEquals(List.of(), desk.dispatch());
    desk.submit(waiting("d", needs("java"), 0, T0));
    assertEquals(List.of("d>p3"), desk.dispatch());
    BacklogView view = desk.view(10, Optional.empty());
    assertEquals(4, view.holding(), "held and proposed");
    assertEquals(
        List.of(
            new BacklogView.Load("p1", 2, 3),
            new BacklogView.Load("p2", 1, 1),
            new BacklogView.Load("p3", 1, 2)),
        view.participants());
  }

  @Test
  void aMissionInBackoffIsNotCountedAheadOfTheHeadOfItsQueue() {
    Desk desk = new Desk();
    desk.submit(waiting("due", needs("java"), 0, T0));
    desk.submit(retry("later", 3, 2, needs("java"), List.of(), Optional.of(T0.plusSeconds(60))));
    desk.dispatch();
    BacklogView view = desk.view(10, Optional.empty());
    assertEquals(2, view.waiting());
    assertEquals(1, view.inBackoff());
    assertEquals(List.of(new BacklogView.Queue(needs("java"), 1, T0)), view.queues());
    BacklogView.WaitingMission due =
        view.missions().stream().filter(m -> m.missionId().equals("due")).findFirst().orElseThrow();
    assertEquals(1, due.position(), "the head of a queue of depth 1: " + positions(view));
  }

  // 11. Random runs against a model

  private enum Phase {
    WAITING,
    HOLDING,
    IDLE
  }

  /** A mission as it would be: its journal's version and where it stands. */
  private static final class Mission {
    final String id;
    final Requirements needs;
    final int priority;
    final Instant submittedAt;
    final Duration scheduleToStart;
    final Optional<Duration> maxQueueTime;
    long version = 1;
    int attempt = 1;
    Phase phase = Phase.WAITING;
    String holder;
    Optional<Instant> notBefore = Optional.empty();
    Instant waitingSince;
    List<String> avoid = List.of();

    Mission(
        String id,
        Requirements needs,
        int priority,
        Instant submittedAt,
        Duration scheduleToStart,
        Optional<Duration> maxQueueTime) {
      this.id = id;
      this.needs = needs;
      this.priority = priority;
      this.submittedAt = submittedAt;
      this.waitingSince = submittedAt;
      this.scheduleToStart = scheduleToStart;
      this.maxQueueTime = maxQueueTime;
    }

    WorkStatus status() {
      return switch (phase) {
        case WAITING ->
            new WorkStatus.Waiting(
                id,
                WS,
                version,
                attempt,
                needs,
                priority,
                submittedAt,
                notBefore,
                waitingSince,
                scheduleToStart,
                maxQueueTime,
                avoid);
        case HOLDING -> new WorkStatus.Holding(id, WS, version, attempt, holder);
        case IDLE -> new WorkStatus.Idle(id, WS, version);
      };
    }

    boolean dueAt(Instant now) {
      return notBefore.filter(now::isBefore).isEmpty();
    }

    @Override
    public String toString() {
      return id + " " + status();
    }
  }

  /**
   * The missions (by id), the offers they have not answered yet, the participants' ids and how
   * likely each is to send a heartbeat while time passes (some fall silent and go offline).
   */
  private static final class Model {
    final TreeMap<String, Mission> missions = new TreeMap<>();
    final TreeMap<String, Backlog.Proposal> unanswered = new TreeMap<>();
    final List<String> participants = new ArrayList<>();
    final Map<String, Integer> heartbeatPercent = new HashMap<>();

    List<Mission> in(Phase phase) {
      return missions.values().stream().filter(m -> m.phase == phase).toList();
    }

    /** Waiting and not proposed: what the backlog should have queued. */
    List<Mission> queued() {
      return in(Phase.WAITING).stream().filter(m -> !unanswered.containsKey(m.id)).toList();
    }
  }

  private static final List<String> CAPABILITIES = List.of("java", "py", "go");
  private static final int STEPS = 400;

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 7, 42, 1234, 20261121, 987654321})
  void nobodyHoldsMoreThanItMayNobodyIdlesWhileItsWorkWaitsAndNoMissionIsLost(long seed) {
    Random random = new Random(seed);
    Desk desk = new Desk();
    Model model = new Model();
    for (int step = 0; step < STEPS; step++) {
      String at = "seed " + seed + ", step " + step;
      try {
        Map<String, Integer> loadsBefore = loads(desk, model);
        change(random, desk, model, step, at);
        act(desk, model, at);
        check(desk, model, loadsBefore, at);
      } catch (RuntimeException e) {
        throw new AssertionError(at + ": " + e, e);
      }
    }
    assertTrue(model.in(Phase.IDLE).size() > 20, "seed " + seed + ": missions got done");
  }

  /** One random thing happens: missions, participants or time. */
  private static void change(Random random, Desk desk, Model model, int step, String at) {
    int dice = random.nextInt(100);
    if (dice < 18) {
      arrive(random, desk, model, step, at);
    } else if (dice < 46) {
      answerAnOffer(random, desk, model, at);
    } else if (dice < 68) {
      endAnAttempt(random, desk, model, at);
    } else if (dice < 80) {
      changeAParticipant(random, desk, model, step);
    } else if (dice < 95) {
      desk.at(desk.now.plusSeconds(1 + random.nextInt(12)));
      for (String id : model.participants) {
        IndexedParticipant p = desk.participants.lookup(id).orElseThrow();
        if (p.status() != Status.STOOD_DOWN
            && random.nextInt(100) < model.heartbeatPercent.get(id)) {
          desk.heartbeat(id);
        }
      }
    } else if (dice < 98) {
      List<Mission> open =
          model.missions.values().stream().filter(m -> m.phase != Phase.IDLE).toList();
      if (!open.isEmpty()) {
        Mission again = open.get(random.nextInt(open.size()));
        assertFalse(desk.submit(again.status()), at + ": a repeated status is not news");
      }
    } else {
      desk.backlog.everyParticipantChanged(desk.roster());
    }
  }

  private static void arrive(Random random, Desk desk, Model model, int step, String at) {
    int count = 1 + random.nextInt(2);
    for (int i = 0; i < count; i++) {
      Requirements needs;
      int kind = random.nextInt(10);
      if (kind == 0 && !model.participants.isEmpty()) {
        needs = named(model.participants.get(random.nextInt(model.participants.size())));
      } else {
        Set<String> capabilities = new TreeSet<>();
        capabilities.add(CAPABILITIES.get(random.nextInt(CAPABILITIES.size())));
        if (random.nextInt(3) == 0) {
          capabilities.add(CAPABILITIES.get(random.nextInt(CAPABILITIES.size())));
        }
        Set<String> roles = kind == 1 ? Set.of("reviewer") : Set.of();
        needs = new Requirements(capabilities, roles, Optional.empty());
      }
      Optional<Duration> maxQueue =
          random.nextInt(4) == 0
              ? Optional.of(Duration.ofSeconds(30 + random.nextInt(90)))
              : Optional.empty();
      Mission mission =
          new Mission(
              "m" + step + "-" + i,
              needs,
              random.nextInt(4),
              desk.now,
              Duration.ofSeconds(20 + random.nextInt(70)),
              maxQueue);
      model.missions.put(mission.id, mission);
      assertTrue(desk.submit(mission.status()), at + ": a new mission");
    }
  }

  private static void answerAnOffer(Random random, Desk desk, Model model, String at) {
    if (model.unanswered.isEmpty()) {
      return;
    }
    List<Backlog.Proposal> open = List.copyOf(model.unanswered.values());
    Backlog.Proposal proposal = open.get(random.nextInt(open.size()));
    Mission m = model.missions.get(proposal.missionId());
    assertEquals(Phase.WAITING, m.phase, at + ": an offered mission waits");
    assertEquals(m.attempt, proposal.attempt(), at + ": the offer is of its attempt");
    int roll = random.nextInt(100);
    if (roll < 75) {
      m.version++;
      m.phase = Phase.HOLDING;
      m.holder = proposal.participantId();
    } else if (roll < 90) {
      // Not taken: the mission still waits, unchanged.
    } else {
      m.version++;
      m.phase = Phase.IDLE;
    }
    model.unanswered.remove(m.id);
    desk.answer(proposal, m.status());
  }

  private static void endAnAttempt(Random random, Desk desk, Model model, String at) {
    List<Mission> holding = model.in(Phase.HOLDING);
    if (holding.isEmpty()) {
      return;
    }
    Mission m = holding.get(random.nextInt(holding.size()));
    m.version++;
    if (random.nextInt(100) < 65) {
      m.phase = Phase.IDLE;
    } else {
      m.phase = Phase.WAITING;
      m.attempt++;
      List<String> avoid = new ArrayList<>(m.avoid);
      if (!avoid.contains(m.holder)) {
        avoid.add(m.holder);
      }
      m.avoid = List.copyOf(avoid);
      m.waitingSince = desk.now;
      m.notBefore =
          random.nextBoolean()
              ? Optional.empty()
              : Optional.of(desk.now.plusSeconds(1 + random.nextInt(15)));
    }
    m.holder = null;
    assertTrue(desk.submit(m.status()), at + ": the end of an attempt " + m);
  }

  private static void changeAParticipant(Random random, Desk desk, Model model, int step) {
    int roll = random.nextInt(100);
    if (roll < 30 || model.participants.isEmpty()) {
      String id = "p" + step;
      Set<String> capabilities = new TreeSet<>();
      for (String c : CAPABILITIES) {
        if (random.nextInt(100) < 55) {
          capabilities.add(c);
        }
      }
      if (capabilities.isEmpty()) {
        capabilities.add(CAPABILITIES.get(random.nextInt(CAPABILITIES.size())));
      }
      Set<String> roles = random.nextInt(3) == 0 ? Set.of("worker", "reviewer") : WORKER;
      desk.join(id, WS, roles, capabilities, 1 + random.nextInt(3), desk.now);
      model.participants.add(id);
      model.heartbeatPercent.put(id, List.of(95, 80, 30).get(random.nextInt(3)));
      return;
    }
    String id = model.participants.get(random.nextInt(model.participants.size()));
    if (desk.participants.lookup(id).orElseThrow().status() == Status.STOOD_DOWN) {
      return;
    }
    if (roll < 65) {
      desk.limit(id, 1 + random.nextInt(3));
    } else if (roll < 78) {
      desk.drain(id);
    } else if (roll < 88) {
      desk.wentOffline(id);
    } else {
      desk.standDown(id);
    }
  }

  /** What the dispatcher does after every message: offer, offer again, give up. */
  private static void act(Desk desk, Model model, String at) {
    Backlog.Roster roster = desk.roster();
    for (Backlog.Proposal p : desk.propose()) {
      Mission m = model.missions.get(p.missionId());
      IndexedParticipant participant = roster.lookup(p.participantId()).orElseThrow();
      assertEquals(Phase.WAITING, m.phase, at + ": proposed " + p + " for " + m);
      assertFalse(model.unanswered.containsKey(m.id), at + ": proposed twice " + p);
      assertEquals(m.attempt, p.attempt(), at + ": " + p);
      assertEquals(m.version, desk.backlog.version(p.missionId()), at + ": " + p);
      assertTrue(m.dueAt(desk.now), at + ": proposed in its backoff " + m);
      assertTrue(roster.live(participant), at + ": proposed to one not live " + p);
      assertTrue(m.needs.coveredBy(participant), at + ": proposed to one not capable " + p);
      model.unanswered.put(m.id, p);
    }
    for (Backlog.Proposal p : desk.backlog.unanswered(desk.now, RETRY)) {
      assertEquals(model.unanswered.get(p.missionId()), p, at + ": sent again " + p);
    }
    for (Backlog.Verdict v : desk.verdicts()) {
      Mission m = model.missions.get(v.missionId());
      Instant firstCheck =
          m.maxQueueTime
              .map(m.waitingSince::plus)
              .filter(m.waitingSince.plus(m.scheduleToStart)::isAfter)
              .orElse(m.waitingSince.plus(m.scheduleToStart));
      assertFalse(desk.now.isBefore(firstCheck), at + ": " + v + " before its first check");
      assertEquals(Phase.WAITING, m.phase, at + ": verdict " + v + " for " + m);
      assertFalse(model.unanswered.containsKey(m.id), at + ": verdict on a proposed " + m);
      assertEquals(m.attempt, v.attempt(), at + ": " + v);
      if (v.why().startsWith("no capable participant")) {
        assertFalse(
            desk.participants.inWorkspace(WS).stream()
                .anyMatch(p -> roster.live(p) && m.needs.coveredBy(p)),
            at + ": " + v + " though a capable participant is live");
      } else {
        assertTrue(
            m.maxQueueTime.filter(q -> !desk.now.isBefore(m.waitingSince.plus(q))).isPresent(),
            at + ": " + v + " before its max queue time");
      }
      m.version++;
      m.phase = Phase.IDLE;
      assertTrue(desk.submit(m.status()), at + ": the give-up's answer");
    }
  }

  private static Map<String, Integer> loads(Desk desk, Model model) {
    Map<String, Integer> loads = new HashMap<>();
    model.participants.forEach(id -> loads.put(id, desk.load(id)));
    return loads;
  }

  private static void check(Desk desk, Model model, Map<String, Integer> loadsBefore, String at) {
    Backlog.Roster roster = desk.roster();
    for (String id : model.participants) {
      IndexedParticipant p = roster.lookup(id).orElseThrow();
      int load = desk.load(id);
      int max = p.maxConcurrentAttempts();
      int before = loadsBefore.getOrDefault(id, 0);
      assertTrue(
          load <= max || load <= before,
          at + ": " + id + " holds " + load + " of " + max + " (before: " + before + ")");
      long held = model.in(Phase.HOLDING).stream().filter(m -> m.holder.equals(id)).count();
      long offered =
          model.unanswered.values().stream().filter(o -> o.participantId().equals(id)).count();
      assertEquals(
          held + offered, load, at + ": " + id + " holds " + held + " and is offered " + offered);
      if (roster.live(p) && load < max) {
        for (Mission m : model.queued()) {
          assertFalse(
              m.dueAt(desk.now) && m.needs.coveredBy(p),
              at + ": " + id + " has room (" + load + " of " + max + ") while " + m + " waits");
        }
      }
    }
    Set<String> open = new HashSet<>();
    model.missions.values().stream()
        .filter(m -> m.phase != Phase.IDLE)
        .forEach(m -> open.add(m.id));
    assertEquals(open, desk.backlog.known(), at + ": waiting or holding, once");
    BacklogView view = desk.view(Integer.MAX_VALUE, Optional.empty());
    assertEquals(
        model.queued().stream().map(m -> m.id).collect(Collectors.toSet()),
        view.missions().stream()
            .map(BacklogView.WaitingMission::missionId)
            .collect(Collectors.toSet()),
        at + ": queued");
    assertEquals(
        model.in(Phase.HOLDING).size() + model.unanswered.size(),
        view.holding(),
        at + ": held and offered");
    assertEquals(view.waiting() + view.holding(), open.size(), at + ": none both waits and holds");
  }
}
