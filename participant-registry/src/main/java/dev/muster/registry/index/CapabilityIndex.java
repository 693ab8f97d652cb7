package dev.muster.registry.index;

import dev.muster.config.readside.JournalFollower;
import dev.muster.registry.RegistrySettings;
import dev.muster.registry.participant.Participant;
import dev.muster.registry.participant.Status;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.query.EventEnvelope;

/**
 * The participants of the cluster, by workspace, answered from memory: who exists, with which
 * capabilities, roles and capacity, and whether they are live.
 *
 * <p>A read model of the journal: every node folds the participant events (tag {@link
 * Participant#TAG}) into an immutable {@link IndexState}, first the events already stored (then
 * {@link #ready()}), then live ones, restarting with backoff from the last folded offset when the
 * query fails. Every node folds the same journal, so the index is the same everywhere and survives
 * restarts. A participant counts as active only while its last recorded heartbeat is within the
 * liveness window, which covers participants whose entity is passivated (no timer sends them
 * offline).
 *
 * <p>Subscribers ({@link #subscribe}) hear which participants of a workspace changed after each
 * folded batch: the dispatcher of that workspace looks for work for them (a registration, a raised
 * limit, a participant back online).
 */
public final class CapabilityIndex {

  /** Ends a {@link #subscribe subscription}. */
  public interface Subscription {
    void cancel();
  }

  private final RegistrySettings settings;
  private final Clock clock;
  private final AtomicReference<IndexState> state = new AtomicReference<>(IndexState.empty());
  private final Map<String, List<Consumer<Set<String>>>> subscribers = new ConcurrentHashMap<>();
  private volatile JournalFollower follower;

  private CapabilityIndex(RegistrySettings settings, Clock clock) {
    this.settings = settings;
    this.clock = clock;
  }

  /** Starts following the journal; the index stops with the system or on {@link #stop()}. */
  public static CapabilityIndex start(
      ActorSystem<?> system, RegistrySettings settings, Clock clock) {
    CapabilityIndex index = new CapabilityIndex(settings, clock);
    index.run(system);
    return index;
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
      Optional<Status> status,
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

  /** True once the events stored when the index started have been folded. */
  public boolean ready() {
    JournalFollower current = follower;
    return current != null && current.caughtUp();
  }

  public Optional<IndexedParticipant> lookup(String participantId) {
    return state.get().lookup(participantId);
  }

  /** The current snapshot. */
  public IndexState snapshot() {
    return state.get();
  }

  /**
   * Calls {@code changed} with the ids of the participants of {@code workspace} that a folded batch
   * changed (from the index's stream: hand the ids over to an actor, do not block).
   */
  public Subscription subscribe(String workspace, Consumer<Set<String>> changed) {
    subscribers.computeIfAbsent(workspace, w -> new CopyOnWriteArrayList<>()).add(changed);
    return () -> subscribers.getOrDefault(workspace, List.of()).remove(changed);
  }

  /** Stops following the journal. */
  public void stop() {
    JournalFollower current = follower;
    if (current != null) {
      current.stop();
    }
  }

  private void run(ActorSystem<?> system) {
    RegistrySettings.IndexSettings index = settings.index();
    follower =
        JournalFollower.start(
            system,
            Participant.TAG,
            new JournalFollower.Settings(
                index.readJournal(),
                index.batchSize(),
                index.batchWindow(),
                index.restart().restartSettings()),
            this::apply);
  }

  private void apply(List<EventEnvelope> batch) {
    List<IndexState.Change> changes =
        batch.stream()
            .filter(envelope -> envelope.event() instanceof Participant.Event)
            .map(e -> new IndexState.Change(e.sequenceNr(), (Participant.Event) e.event()))
            .toList();
    IndexState before = state.get();
    IndexState after = before.apply(changes);
    state.set(after);
    Instant now = clock.instant();
    Map<String, Set<String>> changedByWorkspace = new HashMap<>();
    for (IndexState.Change change : changes) {
      String id = change.event().participantId();
      // A heartbeat of a participant that was live already changes nothing a dispatcher counts.
      boolean liveAlready =
          change.event() instanceof Participant.HeartbeatRecorded
              && before
                  .lookup(id)
                  .filter(p -> p.statusAt(now, settings.livenessWindow()) == Status.ACTIVE)
                  .isPresent();
      if (!liveAlready) {
        after
            .lookup(id)
            .ifPresent(
                p ->
                    changedByWorkspace
                        .computeIfAbsent(p.workspace(), w -> new HashSet<>())
                        .add(id));
      }
    }
    changedByWorkspace.forEach(
        (workspace, ids) -> {
          for (Consumer<Set<String>> changed : subscribers.getOrDefault(workspace, List.of())) {
            changed.accept(Set.copyOf(ids));
          }
        });
  }
}
