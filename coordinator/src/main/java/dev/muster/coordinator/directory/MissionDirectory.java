package dev.muster.coordinator.directory;

import dev.muster.config.readside.JournalFollower;
import dev.muster.coordinator.mission.Mission;
import dev.muster.coordinator.model.Phase;
import dev.muster.runtime.dispatch.OpenWork;
import dev.muster.runtime.dispatch.WorkStatus;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.query.EventEnvelope;

/**
 * The missions and escalations of the cluster, for listing and filtering, and the open work of each
 * workspace for its dispatcher ({@link OpenWork}): a read model this node folds from the mission
 * events in the journal ({@link JournalFollower}). Lists are eventually consistent (a change shows
 * after the journal's query refresh); a single mission is read from its entity, which is always
 * current. Pages are in id order after the last id of the previous page.
 */
public final class MissionDirectory implements OpenWork {

  /** Which missions a list shows; empty filters match everything. */
  public record Filter(
      Optional<String> workspace,
      Optional<Phase> state,
      Optional<String> parent,
      Optional<String> participant,
      Optional<String> specId) {}

  /** One page of a list, and the id to continue after (none on the last page). */
  public record Page<T>(List<T> items, Optional<String> continueAfter) {}

  private final NavigableMap<String, MissionSummary> missions = new ConcurrentSkipListMap<>();
  private final NavigableMap<String, EscalationSummary> escalations = new ConcurrentSkipListMap<>();
  private final Map<String, WorkFacts> open = new ConcurrentHashMap<>();
  private final DirectoryFold.Maps maps = new DirectoryFold.Maps(missions, escalations, open);
  private final JournalFollower follower;

  private MissionDirectory(ActorSystem<?> system, DirectorySettings settings) {
    this.follower = JournalFollower.start(system, Mission.TAG, settings.follower(), this::fold);
  }

  /** Starts folding the journal's mission events on this node; it stops with the system. */
  public static MissionDirectory start(ActorSystem<?> system) {
    return new MissionDirectory(system, DirectorySettings.from(system.settings().config()));
  }

  @Override
  public boolean caughtUp() {
    return follower.caughtUp();
  }

  public Page<MissionSummary> missions(Filter filter, Optional<String> afterId, int limit) {
    Predicate<MissionSummary> matches =
        m ->
            filter.workspace().map(m.workspace()::equals).orElse(true)
                && filter.state().map(s -> m.state() == s).orElse(true)
                && filter.parent().map(p -> m.parentId().equals(Optional.of(p))).orElse(true)
                && filter.participant().map(m.participants()::contains).orElse(true)
                && filter
                    .specId()
                    .map(id -> m.spec().filter(s -> s.specId().equals(id)).isPresent())
                    .orElse(true);
    return page(missions, afterId, limit, matches);
  }

  /** Escalations of a workspace (all when empty); {@code open} empty means open and resolved. */
  public Page<EscalationSummary> escalations(
      Optional<String> workspace, Optional<Boolean> open, Optional<String> afterId, int limit) {
    Predicate<EscalationSummary> matches =
        e ->
            workspace.map(e.workspace()::equals).orElse(true)
                && open.map(o -> e.open() == o).orElse(true);
    return page(escalations, afterId, limit, matches);
  }

  @Override
  public List<WorkStatus> of(String workspace) {
    List<WorkStatus> statuses = new ArrayList<>();
    for (WorkFacts facts : open.values()) {
      if (facts.workspace().equals(workspace)) {
        WorkStatus status = facts.status();
        if (!(status instanceof WorkStatus.Idle)) {
          statuses.add(status);
        }
      }
    }
    return statuses;
  }

  @Override
  public Optional<WorkStatus> status(String missionId) {
    WorkFacts facts = open.get(missionId);
    if (facts != null) {
      return Optional.of(facts.status());
    }
    return Optional.ofNullable(missions.get(missionId))
        .map(m -> new WorkStatus.Idle(m.id(), m.workspace(), m.version()));
  }

  /** The workspaces with missions that wait for or hold a participant. */
  public Set<String> workspacesWithOpenWork() {
    Set<String> workspaces = new TreeSet<>();
    open.values().forEach(facts -> workspaces.add(facts.workspace()));
    return workspaces;
  }

  /**
   * The missions that must be awake to make progress by themselves: those with an attempt out
   * (offered or running: their deadlines), split ones (their children), and finished parents that
   * still have unfinished children (waking a parent makes it stand its children down again).
   * Waiting missions are not among them: their workspace's dispatcher keeps them.
   */
  public List<String> needingAttention() {
    List<String> ids = new ArrayList<>();
    Set<String> parents = new HashSet<>();
    for (WorkFacts facts : open.values()) {
      Phase phase = facts.phase();
      if (phase == Phase.OFFERED || phase == Phase.RUNNING || phase == Phase.SPLIT) {
        ids.add(facts.missionId());
      }
      Optional.ofNullable(missions.get(facts.missionId()))
          .flatMap(MissionSummary::parentId)
          .filter(
              p ->
                  Optional.ofNullable(missions.get(p)).filter(s -> s.state().isFinal()).isPresent())
          .ifPresent(parents::add);
    }
    ids.addAll(parents);
    return ids;
  }

  private void fold(List<EventEnvelope> batch) {
    for (EventEnvelope envelope : batch) {
      if (envelope.event() instanceof Mission.Event event) {
        DirectoryFold.apply(missionId(envelope), envelope.sequenceNr(), event, maps);
      }
    }
  }

  private static String missionId(EventEnvelope envelope) {
    String persistenceId = envelope.persistenceId();
    return persistenceId.substring(persistenceId.indexOf('|') + 1);
  }

  private static <T> Page<T> page(
      NavigableMap<String, T> all, Optional<String> afterId, int limit, Predicate<T> matches) {
    Map<String, T> from = afterId.map(id -> all.tailMap(id, false)).orElse(all);
    List<T> items = new ArrayList<>();
    String last = null;
    for (Map.Entry<String, T> entry : from.entrySet()) {
      if (!matches.test(entry.getValue())) {
        continue;
      }
      if (items.size() == limit) {
        return new Page<>(items, Optional.of(last));
      }
      items.add(entry.getValue());
      last = entry.getKey();
    }
    return new Page<>(items, Optional.empty());
  }
}
