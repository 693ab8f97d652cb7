package dev.muster.config.persistence;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.persistence.jdbc.config.BaseDaoConfig;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableColumnNames;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.EventTagTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.JournalConfig;
import org.apache.pekko.persistence.jdbc.journal.dao.DefaultJournalDao;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables.JournalPekkoSerializationRow;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.stream.Materializer;
import scala.Option;
import scala.Tuple2;
import scala.collection.immutable.Seq;
import scala.collection.immutable.Set;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;
import scala.runtime.BoxedUnit;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;
import slick.jdbc.PostgresProfile;

/**
 * The journal's write path in plain JDBC: the events that many entities persist at the same time
 * are gathered into batches by a {@link WriteQueue} (on writer threads of its own, not the plugin's
 * stream on the actor system's dispatcher), and each batch is written in one transaction with two
 * JDBC batches, events then tags, on a connection of the same pool. The stock path sends one insert
 * per tagged event (Slick inserts rows one at a time when it must return their generated {@code
 * ordering}), which is what held the journal to a few percent of what the database takes in
 * batches. Reads, recovery and deletes are the plugin's own.
 *
 * <p>Selected in muster-persistence.conf ({@code jdbc-journal.dao}); the plugin instantiates it by
 * reflection with the constructor below.
 */
public final class BatchingJournalDao extends DefaultJournalDao {
  private final JdbcBackend.JdbcDatabaseDef database;
  private final boolean postgres;
  private final String eventTable;
  private final String orderingColumn;

  /** PostgreSQL: every column, the ordering included (taken from the sequence beforehand). */
  private final String insertEventWithOrdering;

  /** Other databases: the ordering left to the database and read back as a generated key. */
  private final String insertEvent;

  private final String insertTag;
  private final WriteQueue<Tuple2<JournalPekkoSerializationRow, Set<String>>> queue;
  private volatile String nextOrderings;

  public BatchingJournalDao(
      JdbcBackend.JdbcDatabaseDef db,
      JdbcProfile profile,
      JournalConfig journalConfig,
      Serialization serialization,
      ExecutionContext ec,
      Materializer mat) {
    super(db, profile, journalConfig, serialization, ec, mat);
    this.database = db;
    this.postgres = profile instanceof PostgresProfile;
    EventJournalTableConfiguration events = journalConfig.eventJournalTableConfiguration();
    EventJournalTableColumnNames c = events.columnNames();
    this.eventTable = table(events.schemaName(), events.tableName());
    this.orderingColumn = c.ordering();
    String[] columns = {
      c.deleted(),
      c.persistenceId(),
      c.sequenceNumber(),
      c.writer(),
      c.writeTimestamp(),
      c.adapterManifest(),
      c.eventPayload(),
      c.eventSerId(),
      c.eventSerManifest(),
      c.metaPayload(),
      c.metaSerId(),
      c.metaSerManifest(),
      c.ordering()
    };
    this.insertEventWithOrdering = insert(eventTable, columns);
    this.insertEvent = insert(eventTable, Arrays.copyOf(columns, columns.length - 1));
    EventTagTableConfiguration tags = journalConfig.eventTagTableConfiguration();
    this.insertTag =
        insert(
            table(tags.schemaName(), tags.tableName()),
            tags.columnNames().eventId(),
            tags.columnNames().tag());
    // At most `parallelism` batches at once, each on a writer thread of its own; idle writers go
    // away.
    BaseDaoConfig dao = journalConfig.daoConfig();
    int parallelism = dao.parallelism();
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor writers =
        new ThreadPoolExecutor(
            parallelism,
            parallelism,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "muster-journal-writer-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    writers.allowCoreThreadTimeOut(true);
    this.queue =
        new WriteQueue<>(dao.bufferSize(), dao.batchSize(), parallelism, writers, this::write);
  }

  /** Every write of the journal goes through {@link #queue}, not the plugin's stream. */
  @Override
  public Future<BoxedUnit> queueWriteJournalRows(
      Seq<Tuple2<JournalPekkoSerializationRow, Set<String>>> rows) {
    return FutureConverters.asScala(
        queue.offer(CollectionConverters.asJava(rows)).thenApply(written -> BoxedUnit.UNIT));
  }

  @Override
  public Future<BoxedUnit> writeJournalRows(
      Seq<Tuple2<JournalPekkoSerializationRow, Set<String>>> rows) {
    return queueWriteJournalRows(rows);
  }

  private void write(List<Tuple2<JournalPekkoSerializationRow, Set<String>>> batch)
      throws SQLException {
    try (Connection connection = database.source().createConnection()) {
      connection.setAutoCommit(false);
      try {
        long[] orderings =
            postgres
                ? insertEventsWithOrderings(connection, batch)
                : insertEventsReadingKeys(connection, batch);
        insertTags(connection, batch, orderings);
        connection.commit();
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      } finally {
        connection.setAutoCommit(true);
      }
    }
  }

  /**
   * PostgreSQL: takes the batch's orderings from the column's sequence in one query, then inserts
   * the events as one plain batch, which the driver sends as multi-row inserts
   * (reWriteBatchedInserts, set by {@link DatabaseSettings}). The driver cannot rewrite a batch
   * that returns generated keys; it would send the rows one by one.
   */
  private long[] insertEventsWithOrderings(
      Connection connection, List<Tuple2<JournalPekkoSerializationRow, Set<String>>> batch)
      throws SQLException {
    long[] orderings = new long[batch.size()];
    try (PreparedStatement next = connection.prepareStatement(nextOrderings(connection))) {
      next.setInt(1, orderings.length);
      try (ResultSet rs = next.executeQuery()) {
        for (int i = 0; i < orderings.length; i++) {
          if (!rs.next()) {
            throw new SQLException("the ordering sequence returned fewer values than asked for");
          }
          orderings[i] = rs.getLong(1);
        }
      }
    }
    // A sequence hands out increasing values, so the rows keep the batch's order.
    try (PreparedStatement insert = connection.prepareStatement(insertEventWithOrdering)) {
      for (int i = 0; i < orderings.length; i++) {
        bindEvent(insert, batch.get(i)._1());
        insert.setLong(13, orderings[i]);
        insert.addBatch();
      }
      insert.executeBatch();
    }
    return orderings;
  }

  private String nextOrderings(Connection connection) throws SQLException {
    String sql = nextOrderings;
    if (sql == null) {
      try (PreparedStatement find =
          connection.prepareStatement("SELECT pg_get_serial_sequence(?, ?)")) {
        find.setString(1, eventTable);
        find.setString(2, orderingColumn);
        try (ResultSet rs = find.executeQuery()) {
          String sequence = rs.next() ? rs.getString(1) : null;
          if (sequence == null) {
            throw new SQLException(
                eventTable + "." + orderingColumn + " has no sequence (is it a BIGSERIAL?)");
          }
          sql = "SELECT nextval('" + sequence + "') FROM generate_series(1, ?)";
        }
      }
      nextOrderings = sql;
    }
    return sql;
  }

  /** Other databases (H2, embedded): one batch that reads back the generated orderings. */
  private long[] insertEventsReadingKeys(
      Connection connection, List<Tuple2<JournalPekkoSerializationRow, Set<String>>> batch)
      throws SQLException {
    try (PreparedStatement insert =
        connection.prepareStatement(insertEvent, new String[] {orderingColumn})) {
      for (Tuple2<JournalPekkoSerializationRow, Set<String>> entry : batch) {
        bindEvent(insert, entry._1());
        insert.addBatch();
      }
      insert.executeBatch();
      long[] orderings = new long[batch.size()];
      try (ResultSet keys = insert.getGeneratedKeys()) {
        int i = 0;
        while (keys.next() && i < orderings.length) {
          orderings[i++] = keys.getLong(1);
        }
        if (i != orderings.length) {
          throw new SQLException(
              "the database returned " + i + " generated keys for " + orderings.length + " events");
        }
      }
      return orderings;
    }
  }

  private static void bindEvent(PreparedStatement insert, JournalPekkoSerializationRow row)
      throws SQLException {
    insert.setBoolean(1, row.deleted());
    insert.setString(2, row.persistenceId());
    insert.setLong(3, row.sequenceNumber());
    insert.setString(4, row.writer());
    insert.setLong(5, row.writeTimestamp());
    insert.setString(6, row.adapterManifest());
    insert.setBytes(7, row.eventPayload());
    insert.setInt(8, row.eventSerId());
    insert.setString(9, row.eventSerManifest());
    setOptional(insert, 10, row.metaPayload(), Types.VARBINARY);
    setOptional(insert, 11, row.metaSerId(), Types.INTEGER);
    setOptional(insert, 12, row.metaSerManifest(), Types.VARCHAR);
  }

  private void insertTags(
      Connection connection,
      List<Tuple2<JournalPekkoSerializationRow, Set<String>>> batch,
      long[] orderings)
      throws SQLException {
    boolean any = false;
    try (PreparedStatement insert = connection.prepareStatement(insertTag)) {
      for (int i = 0; i < batch.size(); i++) {
        long ordering = orderings[i];
        var tags = batch.get(i)._2().iterator();
        while (tags.hasNext()) {
          insert.setLong(1, ordering);
          insert.setString(2, tags.next());
          insert.addBatch();
          any = true;
        }
      }
      if (any) {
        insert.executeBatch();
      }
    }
  }

  private static void setOptional(PreparedStatement s, int index, Option<?> value, int sqlType)
      throws SQLException {
    if (value.isEmpty()) {
      s.setNull(index, sqlType);
    } else {
      s.setObject(index, value.get(), sqlType);
    }
  }

  private static String table(Option<String> schema, String name) {
    return schema.isDefined() ? quote(schema.get()) + "." + quote(name) : quote(name);
  }

  private static String quote(String identifier) {
    return '"' + identifier + '"';
  }

  private static String insert(String table, String... columns) {
    StringBuilder sql = new StringBuilder("INSERT INTO ").append(table).append(" (");
    for (int i = 0; i < columns.length; i++) {
      sql.append(i == 0 ? "" : ", ").append(quote(columns[i]));
    }
    sql.append(") VALUES (").append("?, ".repeat(columns.length - 1)).append("?)");
    return sql.toString();
  }
}
