package dev.muster.config.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WriteQueueTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void stop() {
    threads.shutdownNow();
  }

  /** A writer that holds its first batch until released, and records every batch. */
  private static final class GatedWriter implements WriteQueue.BatchWriter<Integer> {
    final List<List<Integer>> batches = Collections.synchronizedList(new ArrayList<>());
    final CountDownLatch firstStarted = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger mostAtOnce = new AtomicInteger();

    @Override
    public void write(List<Integer> rows) throws Exception {
      int now = running.incrementAndGet();
      mostAtOnce.accumulateAndGet(now, Math::max);
      try {
        firstStarted.countDown();
        if (!release.await(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
          throw new TimeoutException("never released");
        }
        if (rows.contains(-1)) {
          throw new IllegalStateException("a row the database refuses");
        }
        batches.add(List.copyOf(rows));
      } finally {
        running.decrementAndGet();
      }
    }
  }

  /** Offers a first write and waits until the writer holds it (it waits for its release). */
  private static CompletableFuture<Void> holdFirstBatch(
      WriteQueue<Integer> queue, GatedWriter writer) throws InterruptedException {
    CompletableFuture<Void> first = queue.offer(List.of(0));
    assertTrue(writer.firstStarted.await(DEADLINE.toMillis(), TimeUnit.MILLISECONDS));
    return first;
  }

  private static void await(CompletableFuture<Void> f) throws Exception {
    f.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Test
  void writesThatWaitTogetherGoInOneBatchWithoutSplittingAWrite() throws Exception {
    GatedWriter writer = new GatedWriter();
    WriteQueue<Integer> queue = new WriteQueue<>(100, 5, 1, threads, writer);
    CompletableFuture<Void> first = holdFirstBatch(queue, writer);
    // While the first batch is being written, four writes of 2 rows each wait.
    List<CompletableFuture<Void>> waiting =
        IntStream.range(0, 4).mapToObj(i -> queue.offer(List.of(10 * i + 1, 10 * i + 2))).toList();
    writer.release.countDown();
    await(first);
    for (CompletableFuture<Void> w : waiting) {
      await(w);
    }
    assertEquals(
        List.of(List.of(0), List.of(1, 2, 11, 12), List.of(21, 22, 31, 32)),
        writer.batches,
        "at most 5 rows per batch, each write whole, in the order offered");
  }

  @Test
  void aWriteLargerThanABatchGoesAlone() throws Exception {
    GatedWriter writer = new GatedWriter();
    writer.release.countDown();
    WriteQueue<Integer> queue = new WriteQueue<>(100, 2, 1, threads, writer);
    await(queue.offer(List.of(1, 2, 3)));
    assertEquals(List.of(List.of(1, 2, 3)), writer.batches);
  }

  @Test
  void aFailedBatchFailsEachOfItsWritesAndTheNextBatchGoesOn() throws Exception {
    GatedWriter writer = new GatedWriter();
    WriteQueue<Integer> queue = new WriteQueue<>(100, 10, 1, threads, writer);
    CompletableFuture<Void> first = holdFirstBatch(queue, writer);
    CompletableFuture<Void> refused = queue.offer(List.of(-1));
    CompletableFuture<Void> sameBatch = queue.offer(List.of(5));
    writer.release.countDown();
    await(first);
    for (CompletableFuture<Void> failed : List.of(refused, sameBatch)) {
      ExecutionException e = assertThrows(ExecutionException.class, () -> await(failed));
      assertInstanceOf(IllegalStateException.class, e.getCause());
    }
    await(queue.offer(List.of(7)));
    assertEquals(List.of(List.of(0), List.of(7)), writer.batches);
  }

  @Test
  void aFullQueueRefusesAtOnce() throws Exception {
    GatedWriter writer = new GatedWriter();
    WriteQueue<Integer> queue = new WriteQueue<>(2, 10, 1, threads, writer);
    CompletableFuture<Void> first = holdFirstBatch(queue, writer);
    CompletableFuture<Void> a = queue.offer(List.of(1));
    CompletableFuture<Void> b = queue.offer(List.of(2));
    CompletableFuture<Void> overflow = queue.offer(List.of(3));
    assertTrue(overflow.isCompletedExceptionally(), "refused without waiting");
    assertFalse(a.isDone());
    writer.release.countDown();
    await(first);
    await(a);
    await(b);
    assertEquals(List.of(List.of(0), List.of(1, 2)), writer.batches);
  }

  @Test
  void neverMoreWritersThanParallelismAndEveryWriteCompletes() throws Exception {
    GatedWriter writer = new GatedWriter();
    writer.release.countDown();
    WriteQueue<Integer> queue = new WriteQueue<>(10_000, 7, 2, threads, writer);
    List<CompletableFuture<Void>> all = Collections.synchronizedList(new ArrayList<>());
    List<CompletableFuture<?>> offerers = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      int base = t * 1000;
      offerers.add(
          CompletableFuture.runAsync(
              () -> IntStream.range(0, 500).forEach(i -> all.add(queue.offer(List.of(base + i)))),
              threads));
    }
    for (CompletableFuture<?> o : offerers) {
      o.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    }
    for (CompletableFuture<Void> w : all) {
      await(w);
    }
    assertEquals(4000, writer.batches.stream().mapToInt(List::size).sum());
    assertTrue(writer.mostAtOnce.get() <= 2, "writers at once: " + writer.mostAtOnce.get());
    assertTrue(writer.batches.stream().allMatch(b -> b.size() <= 7));
  }
}
