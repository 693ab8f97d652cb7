package dev.muster.registry.index;

import dev.muster.registry.RegistrySettings;
import dev.muster.registry.participant.Participant;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.NoOffset;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByTagQuery;
import org.apache.pekko.persistence.query.javadsl.EventsByTagQuery;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.RestartSource;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which active participants of a workspace can take a piece of work, answered from memory.
 *
 * <p>A read model of the journal: every node folds the participant events (tag {@link
 * Participant#TAG}) into an immutable {@link IndexState}, first the events already stored (then
 * {@link #ready()}), then live ones, restarting with backoff from the last folded offset when the
 * query fails. Every node folds the same journal, so the index is the same everywhere and survives
 * restarts. A participant counts only while its last recorded heartbeat is within the liveness
 * window, which covers participants whose entity is passivated (no timer sends them offline).
 *
 * <p>In-flight counts are node-local soft state kept by the dispatcher ({@link #assigned}, {@link
 * #released}); selection prefers the least in-flight and rotates among equals.
 */
public final class CapabilityIndex implements Extension {
  private static final Logger log = LoggerFactory.getLogger(CapabilityIndex.class);

  private static final ExtensionId<CapabilityIndex> ID =
      new ExtensionId<>() {
        @Override
        public CapabilityIndex createExtension(ActorSystem<?> system) {
          return start(system, RegistrySettings.load(system), Clock.systemUTC());
        }
      };

  private final RegistrySettings settings;
  private final Clock clock;
  private final AtomicReference<IndexState> state = new AtomicReference<>(IndexState.empty());
  private final AtomicReference<Offset> offset = new AtomicReference<>(NoOffset.getInstance());
  private final AtomicBoolean ready = new AtomicBoolean(false);
  private final Map<String, Integer> inFlight = new ConcurrentHashMap<>();
  private final Map<String, String> lastChosen = new ConcurrentHashMap<>();
  private volatile UniqueKillSwitch killSwitch;

  private CapabilityIndex(RegistrySettings settings, Clock clock) {
    this.settings = settings;
    this.clock = clock;
  }

  /** The index of this node, started on first access (with the system clock). */
  public static CapabilityIndex get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /**
   * Starts an index of its own (for a node that injects its clock, or a test); it stops with the
   * system or on {@link #stop()}.
   */
  public static CapabilityIndex start(
      ActorSystem<?> system, RegistrySettings settings, Clock clock) {
    CapabilityIndex index = new CapabilityIndex(settings, clock);
    index.run(system);
    return index;
  }

  /**
   * A fair choice among the active, live participants of {@code workspace} that cover the
   * capabilities and roles and have room for one more attempt; not one of {@code exclude}.
   */
  public synchronized Optional<String> select(
      String workspace,
      Set<String> requiredCapabilities,
      Set<String> requiredRoles,
      Set<String> exclude) {
    Instant now = clock.instant();
    List<FairSelection.Candidate> candidates =
        state.get().inWorkspace(workspace).stream()
            .filter(p -> !exclude.contains(p.id()))
            .filter(
                p -> p.matches(requiredCapabilities, requiredRoles, now, settings.livenessWindow()))
            .map(
                p ->
                    new FairSelection.Candidate(
                        p.id(), inFlight(p.id()), p.maxConcurrentAttempts()))
            .toList();
    Optional<String> chosen =
        FairSelection.choose(candidates, Optional.ofNullable(lastChosen.get(workspace)));
    chosen.ifPresent(id -> lastChosen.put(workspace, id));
    return chosen;
  }

  /** {@link #select} and {@link #assigned} in one step, so two dispatches cannot overfill. */
  public synchronized Optional<String> selectAndAssign(
      String workspace,
      Set<String> requiredCapabilities,
      Set<String> requiredRoles,
      Set<String> exclude) {
    Optional<String> chosen = select(workspace, requiredCapabilities, requiredRoles, exclude);
    chosen.ifPresent(this::assigned);
    return chosen;
  }

  /**
   * A page of the participants this node knows of, in id order after {@code afterId}, filtered by
   * workspace, role, capability and status (as of now: an active participant not heard of within
   * the liveness window lists as offline). As fresh as the index (see the class comment).
   */
  public IndexState.Page list(
      Optional<String> workspace,
      Optional<String> role,
      Optional<String> capability,
      Optional<Participant.Status> status,
      Optional<String> afterId,
      int limit) {
    Instant now = clock.instant();
    Predicate<IndexedParticipant> filter =
        p ->
            role.map(p.roles()::contains).orElse(true)
                && capability.map(p.capabilities()::contains).orElse(true)
                && status.map(s -> s == p.statusAt(now, settings.livenessWindow())).orElse(true);
    return state.get().page(workspace, filter, afterId, limit);
  }

  /** The liveness window the index judges "offline" by. */
  public Duration livenessWindow() {
    return settings.livenessWindow();
  }

  /** The instant the index judges liveness at. */
  public Instant now() {
    return clock.instant();
  }

  /** The dispatcher handed one attempt to the participant. */
  public synchronized void assigned(String participantId) {
    inFlight.merge(participantId, 1, Integer::sum);
  }

  /** An attempt of the participant ended (or its offer was not taken). */
  public synchronized void released(String participantId) {
    inFlight.computeIfPresent(participantId, (id, count) -> count <= 1 ? null : count - 1);
  }

  public int inFlight(String participantId) {
    return inFlight.getOrDefault(participantId, 0);
  }

  /** True once the events stored when the index started have been folded. */
  public boolean ready() {
    return ready.get();
  }

  public Optional<IndexedParticipant> lookup(String participantId) {
    return state.get().lookup(participantId);
  }

  /** The current snapshot, for tests and diagnostics. */
  public IndexState snapshot() {
    return state.get();
  }

  /** Stops following the journal (an index from {@link #start}). */
  public void stop() {
    UniqueKillSwitch current = killSwitch;
    if (current != null) {
      current.shutdown();
    }
  }

  private void run(ActorSystem<?> system) {
    String plugin = settings.index().readJournal();
    var journals = PersistenceQuery.get(system);
    CurrentEventsByTagQuery stored =
        journals.getReadJournalFor(CurrentEventsByTagQuery.class, plugin);
    EventsByTagQuery live = journals.getReadJournalFor(EventsByTagQuery.class, plugin);
    killSwitch =
        RestartSource.withBackoff(
                settings.index().restart().restartSettings(), () -> follow(stored, live))
            .viaMat(KillSwitches.single(), Keep.right())
            .toMat(Sink.ignore(), Keep.left())
            .run(system);
  }

  /** The stored events from the last folded offset, then the live ones. */
  private Source<Integer, NotUsed> follow(CurrentEventsByTagQuery stored, EventsByTagQuery live) {
    Source<Integer, NotUsed> caughtUp =
        fold(stored.currentEventsByTag(Participant.TAG, offset.get()));
    Source<Integer, ?> following =
        Source.lazySource(
            () -> {
              if (!ready.getAndSet(true)) {
                log.info("Capability index caught up: {} participants", state.get().size());
              }
              return fold(live.eventsByTag(Participant.TAG, offset.get()));
            });
    return caughtUp.concatLazy(following).mapMaterializedValue(ignored -> NotUsed.getInstance());
  }

  private Source<Integer, NotUsed> fold(Source<EventEnvelope, NotUsed> events) {
    return events
        .groupedWithin(settings.index().batchSize(), settings.index().batchWindow())
        .map(this::apply);
  }

  private Integer apply(List<EventEnvelope> batch) {
    List<IndexState.Change> changes =
        batch.stream()
            .filter(envelope -> envelope.event() instanceof Participant.Event)
            .map(e -> new IndexState.Change(e.sequenceNr(), (Participant.Event) e.event()))
            .toList();
    state.updateAndGet(current -> current.apply(changes));
    offset.set(batch.get(batch.size() - 1).offset());
    return batch.size();
  }
}
