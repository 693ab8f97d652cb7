package dev.muster.config.readside;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.NoOffset;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByTagQuery;
import org.apache.pekko.persistence.query.javadsl.EventsByTagQuery;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.RestartSettings;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.RestartSource;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the events of one tag in the journal and hands them, in batches and in order, to a read
 * model on this node: first the events already stored (then {@link #caughtUp()} is true), then the
 * live ones; when the query fails it restarts with backoff from the last handed-over offset. Every
 * node follows the same journal, so each node's read model converges to the same state and is
 * rebuilt after a restart.
 */
public final class JournalFollower {
  private static final Logger log = LoggerFactory.getLogger(JournalFollower.class);

  /** How a follower reads: which read journal, how it batches, how it restarts. */
  public record Settings(
      String readJournal, int batchSize, Duration batchWindow, RestartSettings restart) {

    /**
     * Reads {@code <prefix>read-journal}, {@code batch-size}, {@code batch-window}, {@code
     * restart-min-backoff} and {@code restart-max-backoff} under {@code muster}.
     */
    public static Settings from(Config muster, String prefix) {
      return new Settings(
          dev.muster.config.Settings.string(muster, prefix + "read-journal"),
          dev.muster.config.Settings.positiveInt(muster, prefix + "batch-size"),
          dev.muster.config.Settings.positiveDuration(muster, prefix + "batch-window"),
          RestartSettings.create(
              dev.muster.config.Settings.positiveDuration(muster, prefix + "restart-min-backoff"),
              dev.muster.config.Settings.positiveDuration(muster, prefix + "restart-max-backoff"),
              0.2));
    }
  }

  private final String tag;
  private final Settings settings;
  private final Consumer<List<EventEnvelope>> readModel;
  private final AtomicReference<Offset> offset = new AtomicReference<>(NoOffset.getInstance());
  private final AtomicBoolean caughtUp = new AtomicBoolean(false);
  private volatile UniqueKillSwitch killSwitch;

  private JournalFollower(String tag, Settings settings, Consumer<List<EventEnvelope>> readModel) {
    this.tag = tag;
    this.settings = settings;
    this.readModel = readModel;
  }

  /** Starts following {@code tag}; {@code readModel} is called from one stream at a time. */
  public static JournalFollower start(
      ActorSystem<?> system,
      String tag,
      Settings settings,
      Consumer<List<EventEnvelope>> readModel) {
    JournalFollower follower = new JournalFollower(tag, settings, readModel);
    follower.run(system);
    return follower;
  }

  /** The events stored when the follower started have all been handed over. */
  public boolean caughtUp() {
    return caughtUp.get();
  }

  public void stop() {
    UniqueKillSwitch current = killSwitch;
    if (current != null) {
      current.shutdown();
    }
  }

  private void run(ActorSystem<?> system) {
    var journals = PersistenceQuery.get(system);
    CurrentEventsByTagQuery stored =
        journals.getReadJournalFor(CurrentEventsByTagQuery.class, settings.readJournal());
    EventsByTagQuery live =
        journals.getReadJournalFor(EventsByTagQuery.class, settings.readJournal());
    killSwitch =
        RestartSource.withBackoff(settings.restart(), () -> follow(stored, live))
            .viaMat(KillSwitches.single(), Keep.right())
            .toMat(Sink.ignore(), Keep.left())
            .run(system);
  }

  private Source<Integer, NotUsed> follow(CurrentEventsByTagQuery stored, EventsByTagQuery live) {
    Source<Integer, NotUsed> storedEvents = batches(stored.currentEventsByTag(tag, offset.get()));
    Source<Integer, ?> liveEvents =
        Source.lazySource(
            () -> {
              if (!caughtUp.getAndSet(true)) {
                log.info("Read model of '{}' caught up with the journal", tag);
              }
              return batches(live.eventsByTag(tag, offset.get()));
            });
    return storedEvents
        .concatLazy(liveEvents)
        .mapMaterializedValue(ignored -> NotUsed.getInstance());
  }

  private Source<Integer, NotUsed> batches(Source<EventEnvelope, NotUsed> events) {
    return events.groupedWithin(settings.batchSize(), settings.batchWindow()).map(this::handOver);
  }

  private Integer handOver(List<EventEnvelope> batch) {
    readModel.accept(batch);
    offset.set(batch.get(batch.size() - 1).offset());
    return batch.size();
  }
}
