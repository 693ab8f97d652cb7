package dev.muster.runtime.resume;

import java.time.Duration;
import java.util.function.Consumer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentPersistenceIdsQuery;
import org.apache.pekko.stream.Materializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes the entities of one type that the journal knows, once per cluster start, so that work that
 * only moves on a timer (a mission waiting for a capable participant, a retry backoff) moves again
 * after the whole cluster was down. Sharding starts entities on their first message only (remember
 * entities is off: passivated entities cost nothing), so without this a waiting mission would sleep
 * until someone asked for it.
 *
 * <p>It runs as a cluster singleton (one node wakes, not every node) and reads the persistence ids
 * of the type from the journal, throttled to {@code wakes-per-second}; each woken entity recovers,
 * acts on its state (the entity's own recovery handler re-arms its timers, re-places its offers)
 * and is passivated again when idle. Waking is idempotent. When the oldest node changes the
 * singleton moves and wakes once more. The cost is a recovery per entity of the type, finished or
 * not: an entity type that can tell open from finished instances cheaply (remember-entities, an
 * index of open ones) should use that instead.
 */
public final class Resumption {
  private static final Logger log = LoggerFactory.getLogger(Resumption.class);

  private Resumption() {}

  /**
   * Starts the singleton that wakes every {@code entityType} entity (persistence ids {@code
   * "<entityType>|<id>"}) by handing its id to {@code wake}.
   */
  public static void start(
      ActorSystem<?> system, String entityType, Consumer<String> wake, ResumeSettings settings) {
    if (!settings.enabled()) {
      return;
    }
    ClusterSingleton.get(system)
        .init(
            SingletonActor.of(
                    Behaviors.<Done>setup(
                        context -> {
                          wakeAll(context, entityType, wake, settings);
                          return Behaviors.receiveMessage(stop -> Behaviors.stopped());
                        }),
                    "resume-" + entityType)
                .withStopMessage(Done.getInstance()));
  }

  private static void wakeAll(
      org.apache.pekko.actor.typed.javadsl.ActorContext<Done> context,
      String entityType,
      Consumer<String> wake,
      ResumeSettings settings) {
    String prefix = entityType + "|";
    CurrentPersistenceIdsQuery journal =
        PersistenceQuery.get(context.getSystem())
            .getReadJournalFor(CurrentPersistenceIdsQuery.class, settings.readJournal());
    // Bound to the singleton: its stream stops when the singleton moves or the node stops.
    Materializer materializer = Materializer.createMaterializer(context);
    journal
        .currentPersistenceIds()
        .filter(id -> id.startsWith(prefix))
        .map(id -> id.substring(prefix.length()))
        .throttle(settings.wakesPerSecond(), Duration.ofSeconds(1))
        .runFold(
            0,
            (count, id) -> {
              wake.accept(id);
              return count + 1;
            },
            materializer)
        .whenComplete(
            (count, failure) -> {
              if (failure != null) {
                log.warn("Waking {} entities failed", entityType, failure);
              } else {
                log.info("Woke {} {} entities after the cluster started", count, entityType);
              }
            });
  }
}
