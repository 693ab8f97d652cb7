package dev.muster.api.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.muster.api.ApiClient;
import dev.muster.api.MusterApplication;
import dev.muster.api.TestAuth;
import dev.muster.api.TestNodes;
import dev.muster.api.access.Scope;
import dev.muster.api.identity.TokenKind;
import dev.muster.config.ids.IdGenerator;
import dev.muster.testing.Eventually;
import dev.muster.testing.TestDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rate limits on one real node (H2, real HTTP), set small for the test: a workspace may read 50
 * requests at once and 50 a second after ({@code muster.rate-limits.per-workspace.read}), every
 * subject far more ({@code per-subject.read}: 1000 and 1000/s), so that the workspace's bucket is
 * what holds a tenant back however many tokens it uses.
 *
 * <p>Workspace A floods {@code GET /api/v1/missions} from {@value #FLOODERS} threads, each with a
 * token of its own (session tokens of ws-a), for {@link #FLOOD}; meanwhile workspace B reads at a
 * steady {@value #B_PER_SECOND} requests a second. A is refused (429, {@code too_many_requests}, an
 * integer {@code Retry-After} of at least 1 s) and gets at most what its bucket allows; B is never
 * refused, and its p99 latency stays under {@link #B_P99_BOUND}: 500 ms on the 2-core build
 * machine, where the flood runs in the same JVM as the node and competes with it for the CPU
 * (measured, see the figures the test prints: B's p50 and p99, A's 200s and 429s).
 *
 * <p>A refused request applies nothing: submissions of a workspace whose write bucket is small
 * ({@code per-workspace.write}: 3, 1/s), each with its own {@code Idempotency-Key}, that are
 * refused created no mission (the id the key names answers 404, and the list holds exactly the
 * accepted ones) and left no audit record; the same key sent again once the bucket refilled creates
 * it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FairnessTest {
  private static final Duration WITHIN = Duration.ofSeconds(30);
  private static final int FLOODERS = 8;
  private static final Duration FLOOD = Duration.ofSeconds(5);
  private static final int B_PER_SECOND = 20;
  private static final Duration B_P99_BOUND = Duration.ofMillis(500);
  private static final long WORKSPACE_READ_CAPACITY = 50;
  private static final long WORKSPACE_READ_PER_SECOND = 50;
  private static final long WORKSPACE_WRITE_CAPACITY = 3;
  private static final String WS_A = "ws-a";
  private static final String WS_B = "ws-b";
  private static final String WS_C = "ws-c";
  private static final ObjectMapper JSON = new ObjectMapper();

  private TestDatabase database;
  private MusterApplication node;
  private ApiClient operator;
  private URI base;

  @BeforeAll
  void startNode(@TempDir Path dataDir) {
    database = TestDatabase.h2(dataDir);
    Map<String, Object> limits = new LinkedHashMap<>();
    limits.put("muster.db.query-refresh-interval", "50ms");
    limits.put("muster.rate-limits.per-subject.read.capacity", 1000);
    limits.put("muster.rate-limits.per-subject.read.refill-per-second", 1000);
    limits.put("muster.rate-limits.per-workspace.read.capacity", WORKSPACE_READ_CAPACITY);
    limits.put(
        "muster.rate-limits.per-workspace.read.refill-per-second", WORKSPACE_READ_PER_SECOND);
    limits.put("muster.rate-limits.per-workspace.write.capacity", WORKSPACE_WRITE_CAPACITY);
    limits.put("muster.rate-limits.per-workspace.write.refill-per-second", 1);
    node = MusterApplication.start(TestNodes.restartable(database, limits));
    operator = new ApiClient(node.httpAddress());
    base = operator.uri("/");
    Eventually.assertWithin(
        WITHIN, () -> assertEquals(200, operator.get("/api/v1/missions").status()));
  }

  @AfterAll
  void stopNode() throws Exception {
    node.close();
    database.close();
  }

  /** One answer, and how long it took. */
  private record Answer(int status, Optional<String> retryAfter, String body, long nanos) {
    @Override
    public String toString() {
      return status + " Retry-After " + retryAfter.orElse("(none)") + " " + body;
    }
  }

  @Test
  void aFloodingWorkspaceIsLimitedAndAQuietOneIsNot() throws Exception {
    String list = "/api/v1/missions?limit=10";
    AtomicInteger aOk = new AtomicInteger();
    AtomicInteger aRefused = new AtomicInteger();
    Map<Integer, Integer> aOther = Collections.synchronizedMap(new TreeMap<>());
    ConcurrentLinkedQueue<String> badRefusals = new ConcurrentLinkedQueue<>();
    List<Answer> b = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch warm = new CountDownLatch(FLOODERS + 1);
    CountDownLatch go = new CountDownLatch(1);
    long[] window = new long[2];
    ExecutorService pool = Executors.newFixedThreadPool(FLOODERS + 1);
    List<Future<?>> running = new ArrayList<>();
    try {
      for (int i = 0; i < FLOODERS; i++) {
        String token =
            TestAuth.mint(
                TokenKind.SESSION, "a-client-" + i, Optional.of(WS_A), Set.of(Scope.MISSIONS_READ));
        running.add(
            pool.submit(
                () -> {
                  HttpClient client = client();
                  get(client, token, list); // a connection, before the clock starts
                  warm.countDown();
                  await(go);
                  while (System.nanoTime() < window[1]) {
                    Answer answer = get(client, token, list);
                    if (answer.status() == 200) {
                      aOk.incrementAndGet();
                    } else if (answer.status() == 429) {
                      aRefused.incrementAndGet();
                      checkRefusal(answer).ifPresent(badRefusals::add);
                    } else {
                      aOther.merge(answer.status(), 1, Integer::sum);
                    }
                  }
                  return null;
                }));
      }
      String bToken = TestAuth.workspace(WS_B);
      running.add(
          pool.submit(
              () -> {
                HttpClient client = client();
                for (int i = 0; i < 3; i++) {
                  get(client, bToken, list);
                }
                warm.countDown();
                await(go);
                long every = TimeUnit.SECONDS.toNanos(1) / B_PER_SECOND;
                for (long slot = window[0]; slot < window[1]; slot += every) {
                  long wait;
                  while ((wait = slot - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait); // paced: one request every 50 ms
                  }
                  b.add(get(client, bToken, list));
                }
                return null;
              }));
      assertTrue(warm.await(WITHIN.toSeconds(), TimeUnit.SECONDS), "the clients did not start");
      window[0] = System.nanoTime();
      window[1] = window[0] + FLOOD.toNanos();
      go.countDown();
      for (Future<?> client : running) {
        client.get(FLOOD.plus(WITHIN).toSeconds(), TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    double seconds = (System.nanoTime() - window[0]) / 1e9;

    List<Long> bMillis =
        b.stream().map(a -> TimeUnit.NANOSECONDS.toMillis(a.nanos())).sorted().toList();
    long p50 = percentile(bMillis, 50);
    long p99 = percentile(bMillis, 99);
    String figures =
        String.format(
            "over %.1f s: A (%d threads, own tokens) %d answered 200, %d answered 429, others %s;"
                + " B %d requests, p50 %d ms, p99 %d ms, max %d ms",
            seconds,
            FLOODERS,
            aOk.get(),
            aRefused.get(),
            aOther,
            b.size(),
            p50,
            p99,
            bMillis.isEmpty() ? 0 : bMillis.get(bMillis.size() - 1));
    System.out.println("FairnessTest " + figures);

    assertTrue(aRefused.get() > 0, "the flooding workspace was refused: " + figures);
    assertTrue(
        badRefusals.isEmpty(),
        "429 answers that are not too_many_requests with an integer Retry-After >= 1 ("
            + badRefusals.size()
            + "), the first: "
            + badRefusals.peek());
    assertTrue(aOther.isEmpty(), "A got answers other than 200 and 429: " + figures);
    // The workspace's bucket holds all of A's tokens together: at most the burst and the refill.
    long allowed =
        WORKSPACE_READ_CAPACITY + (long) Math.ceil(WORKSPACE_READ_PER_SECOND * (seconds + 0.5));
    assertTrue(
        aOk.get() <= allowed,
        "A's "
            + FLOODERS
            + " tokens together got more than its workspace allows ("
            + allowed
            + "): "
            + figures);
    assertTrue(aOk.get() >= WORKSPACE_READ_PER_SECOND, "A is limited, not shut out: " + figures);

    assertTrue(b.size() >= B_PER_SECOND * FLOOD.toSeconds() / 2, "B kept sending: " + figures);
    List<Answer> bNotOk = b.stream().filter(a -> a.status() != 200).toList();
    assertTrue(
        bNotOk.isEmpty(),
        "the quiet workspace got other answers than 200 ("
            + bNotOk.size()
            + "), the first: "
            + bNotOk.stream().findFirst().map(Answer::toString).orElse("")
            + "; "
            + figures);
    assertTrue(
        p99 < B_P99_BOUND.toMillis(),
        "the quiet workspace's p99 is not under " + B_P99_BOUND.toMillis() + " ms: " + figures);
  }

  @Test
  void aRefusedSubmissionCreatesNothing() throws Exception {
    HttpClient client = client();
    String token = TestAuth.workspace(WS_C);
    Map<String, String> accepted = new LinkedHashMap<>();
    Map<String, Answer> refused = new LinkedHashMap<>();
    // Sent at once: the write bucket of ws-c holds 3 and refills one a second.
    for (int i = 0; i < 4 * WORKSPACE_WRITE_CAPACITY; i++) {
      String key = "fair-" + i;
      Answer answer = submit(client, token, key);
      if (answer.status() == 201) {
        String id = JSON.readTree(answer.body()).path("id").asText();
        assertEquals(missionOf(key), id, "the id the Idempotency-Key " + key + " names");
        accepted.put(key, id);
      } else {
        assertEquals(429, answer.status(), "submission " + key + ": " + answer);
        checkRefusal(answer).ifPresent(bad -> fail("submission " + key + ": " + bad));
        refused.put(key, answer);
      }
    }
    System.out.println(
        "FairnessTest submissions at once: "
            + accepted.size()
            + " answered 201, "
            + refused.size()
            + " answered 429");
    assertFalse(accepted.isEmpty(), "some submissions were accepted: " + refused);
    assertFalse(refused.isEmpty(), "some submissions were refused: " + accepted);

    for (String key : refused.keySet()) {
      ApiClient.Response mission = operator.get("/api/v1/missions/" + missionOf(key));
      assertEquals(
          404,
          mission.status(),
          "submission " + key + " was refused (" + refused.get(key) + ") but made " + mission);
    }

    // Once the bucket has refilled, the same key creates the mission: the first one had not.
    String again = refused.keySet().iterator().next();
    Answer retried =
        Eventually.get(
            WITHIN,
            () -> {
              Answer answer = submit(client, token, again);
              assertEquals(201, answer.status(), "the refused " + again + " sent again: " + answer);
              return answer;
            });
    String created = JSON.readTree(retried.body()).path("id").asText();
    assertEquals(missionOf(again), created, "the id the Idempotency-Key " + again + " names");

    // The list folds the journal in order: once it shows the retried one, it shows every
    // mission made before it, and so any made by a refused request.
    Set<String> expected = new TreeSet<>(accepted.values());
    expected.add(created);
    Set<String> listed =
        Eventually.get(
            WITHIN,
            () -> {
              Set<String> ids = missionsOf(WS_C);
              assertTrue(ids.contains(created), "the retried mission is listed: " + ids);
              return ids;
            });
    assertEquals(
        expected, listed, "ws-c's missions: the accepted ones and the retried one, no other");

    // Nor was a refused request recorded: every audit record of ws-c is a 201.
    Eventually.assertWithin(
        WITHIN,
        () -> {
          ApiClient.Response audit = operator.get("/api/v1/audit?workspace=" + WS_C + "&limit=500");
          assertEquals(200, audit.status(), audit.toString());
          List<Integer> statuses = new ArrayList<>();
          audit.body().path("records").forEach(r -> statuses.add(r.path("status").asInt()));
          assertEquals(
              Collections.nCopies(expected.size(), 201),
              statuses,
              "the audit records of ws-c (" + refused.size() + " refused): " + audit);
        });
  }

  // Requests

  private HttpClient client() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(WITHIN)
        .build();
  }

  private Answer get(HttpClient client, String token, String path) {
    return send(
        client,
        HttpRequest.newBuilder(base.resolve(path))
            .header("Authorization", TestAuth.bearer(token))
            .GET());
  }

  private Answer submit(HttpClient client, String token, String key) {
    return send(
        client,
        HttpRequest.newBuilder(base.resolve("/api/v1/missions"))
            .header("Authorization", TestAuth.bearer(token))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", key)
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"workspace\":\""
                        + WS_C
                        + "\",\"title\":\"t\",\"required_capabilities\":[\"q\"]}")));
  }

  private Answer send(HttpClient client, HttpRequest.Builder request) {
    long start = System.nanoTime();
    try {
      HttpResponse<String> response =
          client.send(request.timeout(WITHIN).build(), HttpResponse.BodyHandlers.ofString());
      return new Answer(
          response.statusCode(),
          response.headers().firstValue("Retry-After"),
          response.body(),
          System.nanoTime() - start);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** What is wrong with a 429, if anything: its code, its body's shape, its Retry-After. */
  private static Optional<String> checkRefusal(Answer answer) {
    try {
      JsonNode body = JSON.readTree(answer.body());
      JsonNode error = body.path("error");
      Set<String> fields = new HashSet<>();
      error.fieldNames().forEachRemaining(fields::add);
      if (body.size() != 1
          || !fields.equals(Set.of("code", "message"))
          || !error.path("code").asText().equals("too_many_requests")
          || error.path("message").asText().isBlank()) {
        return Optional.of("not the error shape of too_many_requests: " + answer);
      }
    } catch (IOException e) {
      return Optional.of("not JSON: " + answer);
    }
    if (answer.retryAfter().isEmpty() || !answer.retryAfter().get().matches("[1-9][0-9]*")) {
      return Optional.of("no Retry-After of whole seconds >= 1: " + answer);
    }
    return Optional.empty();
  }

  private static String missionOf(String key) {
    return IdGenerator.forKey("m", "mission", WS_C, key);
  }

  private Set<String> missionsOf(String ws) {
    ApiClient.Response page = operator.get("/api/v1/missions?workspace=" + ws + "&limit=500");
    assertEquals(200, page.status(), page.toString());
    Set<String> ids = new TreeSet<>();
    page.body().path("missions").forEach(m -> ids.add(m.path("id").asText()));
    return ids;
  }

  private static long percentile(List<Long> sorted, int percent) {
    if (sorted.isEmpty()) {
      return 0;
    }
    int at = (int) Math.ceil(percent / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(at, sorted.size() - 1)));
  }

  private static void await(CountDownLatch latch) {
    try {
      if (!latch.await(WITHIN.toSeconds(), TimeUnit.SECONDS)) {
        throw new IllegalStateException("not started within " + WITHIN);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
