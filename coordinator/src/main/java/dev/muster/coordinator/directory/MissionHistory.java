package dev.muster.coordinator.directory;

import dev.muster.coordinator.mission.Mission;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.stream.javadsl.Sink;

/** A mission's events in order, read back from the journal: the replay of what happened. */
public final class MissionHistory {
  private MissionHistory() {}

  /** One event of the history, with its sequence number and when the journal wrote it. */
  public record Entry(long seq, Instant writtenAt, Mission.Event event) {}

  public static CompletionStage<List<Entry>> read(ActorSystem<?> system, String missionId) {
    String readJournal =
        DirectorySettings.from(system.settings().config()).follower().readJournal();
    CurrentEventsByPersistenceIdQuery journal =
        PersistenceQuery.get(system)
            .getReadJournalFor(CurrentEventsByPersistenceIdQuery.class, readJournal);
    String persistenceId = PersistenceId.of(Mission.ENTITY_TYPE_KEY.name(), missionId).id();
    return journal
        .currentEventsByPersistenceId(persistenceId, 0L, Long.MAX_VALUE)
        .filter(envelope -> envelope.event() instanceof Mission.Event)
        .map(
            envelope ->
                new Entry(
                    envelope.sequenceNr(),
                    Instant.ofEpochMilli(envelope.timestamp()),
                    (Mission.Event) envelope.event()))
        .runWith(Sink.seq(), system);
  }
}
