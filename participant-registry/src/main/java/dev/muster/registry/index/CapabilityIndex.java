package dev.muster.registry.index;

import dev.muster.config.readside.JournalFollower;
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
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.persistence.query.EventEnvelope;

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
  private final Map<String, Integer> inFlight = new ConcurrentHashMap<>();
  private final Map<String, String> lastChosen = new ConcurrentHashMap<>();
  private volatile JournalFollower follower;

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
    Optional<String> last = Optional.ofNullable(lastChosen.get(workspace));
    Optional<String> chosen =
        FairSelection.chooseInTurn(
            state
                .get()
                .inWorkspaceAfter(workspace, last)
                .filter(p -> !exclude.contains(p.id()))
                .filter(
                    p ->
                        p.matches(
                            requiredCapabilities, requiredRoles, now, settings.livenessWindow()))
                .map(
                    p ->
                        new FairSelection.Candidate(
                            p.id(), inFlight(p.id()), p.maxConcurrentAttempts())));
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
    JournalFollower current = follower;
    return current != null && current.caughtUp();
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
    state.updateAndGet(current -> current.apply(changes));
  }
}
