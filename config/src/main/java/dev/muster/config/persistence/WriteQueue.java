package dev.muster.config.persistence;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The journal's write queue: the rows that many entities persist at the same time are gathered into
 * batches of at most {@code batchSize} rows, and at most {@code parallelism} writers write them,
 * each batch in one call of the {@link BatchWriter}. A writer runs on its own thread and takes the
 * next batch from the queue as soon as it is done with the last, so a write never waits for the
 * actor system's dispatcher, which a burst of requests keeps busy (the plugin's own queue is a
 * stream on that dispatcher: under a burst of 100k submissions its writes waited seconds between
 * batches of a few milliseconds).
 *
 * <p>A write is never split: its rows go into one batch (a write larger than {@code batchSize} goes
 * alone). A batch that fails fails each of its writes; the next batch goes on. When {@code
 * bufferSize} writes wait, a new one is refused at once rather than queued without bound.
 */
final class WriteQueue<T> {

  /** Writes one batch, all or nothing. */
  interface BatchWriter<T> {
    void write(List<T> rows) throws Exception;
  }

  private record Pending<T>(List<T> rows, CompletableFuture<Void> written) {}

  private final ArrayBlockingQueue<Pending<T>> queue;
  private final int bufferSize;
  private final int batchSize;
  private final int parallelism;
  private final Executor executor;
  private final BatchWriter<T> writer;
  private final AtomicInteger writers = new AtomicInteger();

  WriteQueue(
      int bufferSize, int batchSize, int parallelism, Executor executor, BatchWriter<T> writer) {
    if (bufferSize < 1 || batchSize < 1 || parallelism < 1) {
      throw new IllegalArgumentException(
          "bufferSize, batchSize and parallelism must be positive: "
              + bufferSize
              + ", "
              + batchSize
              + ", "
              + parallelism);
    }
    this.queue = new ArrayBlockingQueue<>(bufferSize);
    this.bufferSize = bufferSize;
    this.batchSize = batchSize;
    this.parallelism = parallelism;
    this.executor = executor;
    this.writer = writer;
  }

  /** Completes when {@code rows} are written (in one batch), or fails with the batch. */
  CompletableFuture<Void> offer(List<T> rows) {
    Pending<T> pending = new Pending<>(List.copyOf(rows), new CompletableFuture<>());
    if (!queue.offer(pending)) {
      return CompletableFuture.failedFuture(
          new IllegalStateException(
              "the journal's write queue is full ("
                  + bufferSize
                  + " writes wait; jdbc-journal.bufferSize): the database does not keep up"));
    }
    if (claimWriter()) {
      executor.execute(this::drain);
    }
    return pending.written();
  }

  private boolean claimWriter() {
    for (int n = writers.get(); n < parallelism; n = writers.get()) {
      if (writers.compareAndSet(n, n + 1)) {
        return true;
      }
    }
    return false;
  }

  /** One writer: batches until the queue is empty. */
  private void drain() {
    Pending<T> carried = null;
    while (true) {
      List<Pending<T>> batch = new ArrayList<>();
      int rows = 0;
      if (carried != null) {
        batch.add(carried);
        rows = carried.rows().size();
        carried = null;
      }
      while (rows < batchSize) {
        Pending<T> next = queue.poll();
        if (next == null) {
          break;
        }
        if (!batch.isEmpty() && rows + next.rows().size() > batchSize) {
          carried = next;
          break;
        }
        batch.add(next);
        rows += next.rows().size();
      }
      if (batch.isEmpty()) {
        writers.decrementAndGet();
        // A write offered after the last poll may have found this writer still counted.
        if (queue.isEmpty() || !claimWriter()) {
          return;
        }
        continue;
      }
      write(batch, rows);
    }
  }

  private void write(List<Pending<T>> batch, int rows) {
    List<T> all = new ArrayList<>(rows);
    for (Pending<T> p : batch) {
      all.addAll(p.rows());
    }
    Throwable failure = null;
    try {
      writer.write(all);
    } catch (Throwable t) {
      failure = t;
    }
    for (Pending<T> p : batch) {
      if (failure == null) {
        p.written().complete(null);
      } else {
        p.written().completeExceptionally(failure);
      }
    }
  }
}
