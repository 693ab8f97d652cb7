package dev.muster.registry.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.registry.index.IndexState.Change;
import dev.muster.registry.participant.Changes;
import dev.muster.registry.participant.Kind;
import dev.muster.registry.participant.Participant;
import dev.muster.registry.participant.Registration;
import dev.muster.registry.participant.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class IndexStateTest {
  private static final Instant T0 = Instant.parse("2026-11-21T12:00:00Z");
  private static final Duration WINDOW = Duration.ofSeconds(30);
  private static final Registration WORKER =
      new Registration("ws", Kind.FLEET_WORKER, Set.of("builder"), Set.of("java"), 2);

  private static Change registered(String id, long seq) {
    return new Change(seq, new Participant.Registered(id, WORKER, T0));
  }

  static Stream<Arguments> folds() {
    Change reg = registered("p", 1);
    return Stream.of(
        // changes, expected status of p, expected last seen, expected capabilities
        Arguments.of(List.of(reg), Status.ACTIVE, T0, Set.of("java")),
        Arguments.of(
            List.of(reg, new Change(2, new Participant.HeartbeatRecorded("p", T0.plusSeconds(5)))),
            Status.ACTIVE,
            T0.plusSeconds(5),
            Set.of("java")),
        Arguments.of(
            List.of(reg, new Change(2, new Participant.DrainStarted("p", T0, Optional.empty()))),
            Status.DRAINING,
            T0,
            Set.of("java")),
        Arguments.of(
            List.of(
                reg,
                new Change(2, new Participant.DrainStarted("p", T0, Optional.empty())),
                new Change(3, new Participant.HeartbeatRecorded("p", T0.plusSeconds(1)))),
            Status.DRAINING,
            T0.plusSeconds(1),
            Set.of("java")),
        Arguments.of(
            List.of(
                reg,
                new Change(2, new Participant.StoodDown("p", "cancelled", T0, Optional.empty()))),
            Status.STOOD_DOWN,
            T0,
            Set.of("java")),
        Arguments.of(
            List.of(reg, new Change(2, new Participant.WentOffline("p", T0, T0.plusSeconds(30)))),
            Status.OFFLINE,
            T0,
            Set.of("java")),
        Arguments.of(
            List.of(
                reg,
                new Change(2, new Participant.WentOffline("p", T0, T0.plusSeconds(30))),
                new Change(3, new Participant.HeartbeatRecorded("p", T0.plusSeconds(40)))),
            Status.ACTIVE,
            T0.plusSeconds(40),
            Set.of("java")),
        Arguments.of(
            List.of(
                reg,
                new Change(
                    2,
                    Participant.Updated.of(
                        "p",
                        Changes.NONE.withCapabilities(Set.of("rust")).withMaxConcurrentAttempts(5),
                        Optional.of("ops"),
                        T0))),
            Status.ACTIVE,
            T0,
            Set.of("rust")),
        // a replayed (already folded) event is ignored
        Arguments.of(
            List.of(
                reg,
                new Change(2, new Participant.StoodDown("p", "x", T0, Optional.empty())),
                new Change(2, new Participant.StoodDown("p", "x", T0, Optional.empty())),
                reg),
            Status.STOOD_DOWN,
            T0,
            Set.of("java")));
  }

  @ParameterizedTest
  @MethodSource
  void folds(List<Change> changes, Status status, Instant lastSeen, Set<String> capabilities) {
    IndexedParticipant p = IndexState.empty().apply(changes).lookup("p").orElseThrow();
    assertEquals(status, p.status());
    assertEquals(lastSeen, p.lastSeen());
    assertEquals(capabilities, p.capabilities());
    // one batch or one event at a time: the same result
    IndexState oneByOne = IndexState.empty();
    for (Change change : changes) {
      oneByOne = oneByOne.apply(List.of(change));
    }
    assertEquals(p, oneByOne.lookup("p").orElseThrow());
  }

  @Test
  void eventsOfAnUnregisteredParticipantAreIgnored() {
    IndexState state =
        IndexState.empty()
            .apply(List.of(new Change(2, new Participant.DrainStarted("x", T0, Optional.empty()))));
    assertEquals(Optional.empty(), state.lookup("x"));
    assertEquals(0, state.size());
  }

  @Test
  void participantsAreListedPerWorkspaceInIdOrder() {
    Registration other = new Registration("other", Kind.REVIEWER, Set.of(), Set.of(), 1);
    IndexState state =
        IndexState.empty()
            .apply(
                List.of(
                    registered("p2", 1),
                    registered("p1", 1),
                    new Change(1, new Participant.Registered("q", other, T0))));
    assertEquals(
        List.of("p1", "p2"), state.inWorkspace("ws").stream().map(IndexedParticipant::id).toList());
    assertEquals(
        List.of("q"), state.inWorkspace("other").stream().map(IndexedParticipant::id).toList());
    assertTrue(state.inWorkspace("none").isEmpty());
  }

  static Stream<Arguments> liveness() {
    IndexedParticipant active =
        new IndexedParticipant(
            Participant.Enrolled.of(
                new Participant.Registered(
                    "p",
                    new Registration(
                        "ws", Kind.FLEET_WORKER, Set.of("builder"), Set.of("java", "maven"), 2),
                    T0)),
            1);
    return Stream.of(
        // participant, now, status
        Arguments.of(active, T0, Status.ACTIVE),
        Arguments.of(active, T0.plusSeconds(29), Status.ACTIVE),
        Arguments.of(active, T0.plus(WINDOW), Status.OFFLINE),
        Arguments.of(withStatus(active, Status.DRAINING), T0, Status.DRAINING),
        Arguments.of(withStatus(active, Status.OFFLINE), T0, Status.OFFLINE),
        Arguments.of(withStatus(active, Status.STOOD_DOWN), T0, Status.STOOD_DOWN));
  }

  @ParameterizedTest
  @MethodSource
  void liveness(IndexedParticipant p, Instant now, Status expected) {
    assertEquals(expected, p.statusAt(now, WINDOW));
  }

  private static IndexedParticipant withStatus(IndexedParticipant p, Status status) {
    Participant.Enrolled e = p.participant();
    return new IndexedParticipant(
        new Participant.Enrolled(
            e.id(),
            e.registration(),
            status,
            e.registeredAt(),
            e.lastHeartbeat(),
            Optional.empty()),
        p.sequenceNr());
  }

  @Test
  void pagesListParticipantsInIdOrderAcrossWorkspacesAndFilters() {
    Registration other = new Registration("other", Kind.REVIEWER, Set.of(), Set.of(), 1);
    IndexState state =
        IndexState.empty()
            .apply(
                List.of(
                    registered("p3", 1),
                    registered("p1", 1),
                    new Change(1, new Participant.Registered("p2", other, T0)),
                    new Change(2, new Participant.DrainStarted("p3", T0, Optional.empty()))));
    IndexState.Page first = state.page(Optional.empty(), p -> true, Optional.empty(), 2);
    assertEquals(
        List.of("p1", "p2"), first.participants().stream().map(IndexedParticipant::id).toList());
    assertEquals(Optional.of("p2"), first.continueAfter());
    IndexState.Page second = state.page(Optional.empty(), p -> true, first.continueAfter(), 2);
    assertEquals(
        List.of("p3"), second.participants().stream().map(IndexedParticipant::id).toList());
    assertEquals(Optional.empty(), second.continueAfter());
    assertEquals(
        List.of("p1", "p3"),
        state.page(Optional.of("ws"), p -> true, Optional.empty(), 10).participants().stream()
            .map(IndexedParticipant::id)
            .toList());
    assertEquals(
        List.of("p3"),
        state
            .page(Optional.of("ws"), p -> p.status() == Status.DRAINING, Optional.empty(), 1)
            .participants()
            .stream()
            .map(IndexedParticipant::id)
            .toList());
    assertTrue(
        state.page(Optional.of("none"), p -> true, Optional.empty(), 1).participants().isEmpty());
  }
}
