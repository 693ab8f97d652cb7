package dev.muster.coordinator.directory;

import dev.muster.config.readside.JournalFollower;
import dev.muster.coordinator.mission.Mission;
import dev.muster.coordinator.model.Phase;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.persistence.query.EventEnvelope;

/**
 * The missions and open escalations of the cluster, for listing and filtering: a read model this
 * node folds from the mission events in the journal ({@link JournalFollower}). Lists are eventually
 * consistent (a change shows after the journal's query refresh); a single mission is read from its
 * entity, which is always current. Pages are in id order with an opaque cursor.
 */
public final class MissionDirectory implements Extension {

  private static final ExtensionId<MissionDirectory> ID =
      new ExtensionId<>() {
        @Override
        public MissionDirectory createExtension(ActorSystem<?> system) {
          return new MissionDirectory(system, DirectorySettings.from(system.settings().config()));
        }
      };

  /** Which missions a list shows; empty filters match everything. */
  public record Filter(
      Optional<String> workspace,
      Optional<Phase> state,
      Optional<String> parent,
      Optional<String> participant,
      Optional<String> specId) {}

  /** One page of a list, and the cursor of the next (none on the last page). */
  public record Page<T>(List<T> items, Optional<String> nextCursor) {}

  private final NavigableMap<String, MissionSummary> missions = new ConcurrentSkipListMap<>();
  private final NavigableMap<String, EscalationSummary> escalations = new ConcurrentSkipListMap<>();
  private final JournalFollower follower;

  private MissionDirectory(ActorSystem<?> system, DirectorySettings settings) {
    this.follower = JournalFollower.start(system, Mission.TAG, settings.follower(), this::fold);
  }

  /** This node's directory, started on first access. */
  public static MissionDirectory get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  public boolean caughtUp() {
    return follower.caughtUp();
  }

  public Page<MissionSummary> missions(Filter filter, Optional<String> cursor, int limit) {
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
    return page(missions, cursor, limit, matches);
  }

  /** Escalations of a workspace (all when empty); {@code open} empty means open and resolved. */
  public Page<EscalationSummary> escalations(
      Optional<String> workspace, Optional<Boolean> open, Optional<String> cursor, int limit) {
    Predicate<EscalationSummary> matches =
        e ->
            workspace.map(e.workspace()::equals).orElse(true)
                && open.map(o -> e.open() == o).orElse(true);
    return page(escalations, cursor, limit, matches);
  }

  /**
   * The missions that must be awake to make progress by themselves (waiting, offered, running,
   * split), and finished parents that still have unfinished children (waking a parent makes it
   * stand its children down again).
   */
  public List<String> needingAttention() {
    List<String> ids = new ArrayList<>();
    java.util.Set<String> parents = new java.util.HashSet<>();
    for (MissionSummary m : missions.values()) {
      if (m.state().isFinal()
          || m.state() == Phase.ESCALATED
          || m.state() == Phase.AWAITING_APPROVAL) {
        continue;
      }
      ids.add(m.id());
      m.parentId()
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
        DirectoryFold.apply(missionId(envelope), event, missions, escalations);
      }
    }
  }

  private static String missionId(EventEnvelope envelope) {
    String persistenceId = envelope.persistenceId();
    return persistenceId.substring(persistenceId.indexOf('|') + 1);
  }

  private static <T> Page<T> page(
      NavigableMap<String, T> all, Optional<String> cursor, int limit, Predicate<T> matches) {
    Map<String, T> from = cursor.map(c -> all.tailMap(decode(c), false)).orElse(all);
    List<T> items = new ArrayList<>();
    String last = null;
    for (Map.Entry<String, T> entry : from.entrySet()) {
      if (!matches.test(entry.getValue())) {
        continue;
      }
      if (items.size() == limit) {
        return new Page<>(items, Optional.of(encode(last)));
      }
      items.add(entry.getValue());
      last = entry.getKey();
    }
    return new Page<>(items, Optional.empty());
  }

  private static String encode(String id) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(id.getBytes(StandardCharsets.UTF_8));
  }

  /** Reads a cursor back; throws {@link IllegalArgumentException} for one this did not write. */
  public static String decode(String cursor) {
    return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
  }
}
