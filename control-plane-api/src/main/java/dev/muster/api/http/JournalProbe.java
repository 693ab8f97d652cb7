package dev.muster.api.http;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.muster.config.persistence.DatabaseSettings;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The readiness check of the journal: a query that touches the journal table and reads nothing, on
 * a pool of its own (two connections at most), so a probe never waits behind the journal's writes
 * and a busy journal pool does not look like a dead database. JDBC blocks: the query runs on the
 * executor given, in a node Pekko's blocking dispatcher.
 */
public final class JournalProbe implements ReadinessCheck, AutoCloseable {
  static final String QUERY = "SELECT 1 FROM \"event_journal\" WHERE 1 = 0";
  private static final long MIN_HIKARI_TIMEOUT_MS = 250;
  private static final Logger log = LoggerFactory.getLogger(JournalProbe.class);

  private final HikariDataSource pool;
  private final Duration timeout;
  private final Executor blocking;

  private JournalProbe(HikariDataSource pool, Duration timeout, Executor blocking) {
    this.pool = pool;
    this.timeout = timeout;
    this.blocking = blocking;
  }

  /**
   * A probe of {@code db} answering within {@code timeout}; the pool connects lazily, so a database
   * that is down when the node starts only makes the probe answer down.
   */
  public static JournalProbe create(DatabaseSettings db, Duration timeout, Executor blocking) {
    long timeoutMs = Math.max(MIN_HIKARI_TIMEOUT_MS, timeout.toMillis());
    HikariConfig config = new HikariConfig();
    config.setPoolName("muster-journal-probe");
    config.setJdbcUrl(db.jdbcUrl());
    config.setUsername(db.user());
    config.setPassword(db.password());
    config.setDriverClassName(db.profile().driver());
    config.setMaximumPoolSize(2);
    config.setMinimumIdle(0);
    config.setConnectionTimeout(timeoutMs);
    config.setValidationTimeout(timeoutMs);
    config.setInitializationFailTimeout(-1);
    return new JournalProbe(new HikariDataSource(config), timeout, blocking);
  }

  /**
   * The node's probe: queries on the blocking dispatcher, time-limited by {@code
   * muster.http.health-check-timeout}, closed when the actor system terminates.
   */
  public static JournalProbe start(
      ActorSystem<?> system, DatabaseSettings db, HttpSettings settings) {
    JournalProbe probe =
        create(
            db,
            settings.healthCheckTimeout(),
            system.dispatchers().lookup(DispatcherSelector.blocking()));
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
            "close-journal-probe",
            () -> {
              probe.close();
              return CompletableFuture.completedFuture(Done.getInstance());
            });
    return probe;
  }

  @Override
  public String name() {
    return "journal";
  }

  @Override
  public CompletionStage<CheckResult> check() {
    return CompletableFuture.supplyAsync(this::query, blocking)
        .completeOnTimeout(
            CheckResult.down("no answer within " + timeout.toMillis() + "ms"),
            timeout.toMillis(),
            TimeUnit.MILLISECONDS)
        .exceptionally(e -> CheckResult.down("probe failed: " + e.getClass().getSimpleName()));
  }

  private CheckResult query() {
    try (Connection connection = pool.getConnection();
        Statement statement = connection.createStatement()) {
      statement.setQueryTimeout((int) Math.max(1, (timeout.toMillis() + 999) / 1000));
      statement.execute(QUERY);
      return CheckResult.up("journal table answers");
    } catch (SQLException e) {
      // The reason stays in the log: driver messages can name hosts, users and schemas.
      log.warn("Journal readiness probe failed: {}", e.getMessage());
      return CheckResult.down("query failed (SQLState " + e.getSQLState() + ")");
    }
  }

  @Override
  public void close() {
    pool.close();
  }
}
