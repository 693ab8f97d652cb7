package dev.muster.api.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.muster.api.http.Cursor;
import dev.muster.api.http.HttpServer;
import dev.muster.api.http.HttpSettings;
import dev.muster.config.Caller;
import dev.muster.testing.Eventually;
import dev.muster.testing.OneNodeCluster;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code GET /api/v1/audit} over real HTTP on loopback, reading a real H2 journal written by the
 * audit log: paging, filters, confinement to a workspace, and what it refuses. One read scans at
 * most {@value #MAX_SCAN} rows here, so that the walks cross many pages.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuditRoutesTest {
  /** The workspace a request of this test is confined to (a token's, in a node). */
  private static final String CONFINED_TO = "X-Test-Workspace";

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final int MAX_SCAN = 7;
  private static final Instant T0 = Instant.parse("2026-11-30T10:00:00Z");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dataDir;

  @JUnit5TestKit ActorTestKit testKit;

  private final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
  private final List<AuditRecord> written = new ArrayList<>();
  private URI base;

  @BeforeAll
  void start() throws Exception {
    testKit =
        OneNodeCluster.start(
            "audit-routes",
            dataDir,
            """
            muster.http.host = "127.0.0.1"
            muster.http.port = 0
            muster.audit.max-scan = %d
            """
                .formatted(MAX_SCAN));
    ActorSystem<?> system = testKit.system();
    AuditSettings settings = AuditSettings.from(system.settings().config());
    HttpSettings http = HttpSettings.from(system.settings().config());
    AuditRoutes audit = new AuditRoutes(system, http, settings);
    Route api =
        Directives.pathPrefix(
            "api",
            () ->
                Directives.pathPrefix(
                    "v1",
                    // The caller as Access would hand it on: confined when the test says so.
                    () ->
                        Directives.optionalHeaderValueByName(
                            CONFINED_TO, ws -> audit.route(new Caller(ws, "test")))));
    ServerBinding binding =
        HttpServer.start(system, api, http)
            .toCompletableFuture()
            .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    base = URI.create("http://127.0.0.1:" + binding.localAddress().getPort());

    // 40 records in journal order: ws-a (alice, bob) mostly, ws-b (carol) every third, and a
    // node-wide call (root, no workspace) now and then, one second apart.
    AuditLog log = AuditLog.start(system, settings);
    for (int i = 0; i < 40; i++) {
      AuditRecord record =
          i % 13 == 0
              ? record(i, "root", Optional.empty())
              : i % 3 == 0
                  ? record(i, "carol", Optional.of("ws-b"))
                  : record(i, i % 2 == 0 ? "alice" : "bob", Optional.of("ws-a"));
      log.record(record).toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      written.add(record);
    }
    // Written means in the journal; the read journal shows it within its refresh interval.
    Eventually.assertWithin(TIMEOUT, () -> assertEquals(written.size(), walk("").size()));
  }

  private static AuditRecord record(int i, String subject, Optional<String> workspace) {
    return new AuditRecord(
        T0.plusSeconds(i),
        subject,
        subject.equals("alice") ? Optional.of("alice-laptop") : Optional.empty(),
        workspace,
        "POST",
        "/api/v1/missions/{id}/cancel",
        List.of("m-" + i),
        i % 5 == 0 ? 409 : 202,
        "req-" + i);
  }

  /** One answer: the status and the JSON body. */
  private record Reply(int status, JsonNode json) {}

  private Reply get(String query, Optional<String> workspaceHeader) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(base.resolve("/api/v1/audit" + (query.isEmpty() ? "" : "?" + query)))
            .timeout(TIMEOUT)
            .GET();
    workspaceHeader.ifPresent(w -> request.header(CONFINED_TO, w));
    try {
      HttpResponse<String> response =
          client.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Reply(response.statusCode(), JSON.readTree(response.body()));
    } catch (IOException e) {
      throw new AssertionError("GET /api/v1/audit?" + query + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** Every page of {@code query}, following next_cursor to its end. */
  private List<JsonNode> pages(String query, Optional<String> workspaceHeader) {
    List<JsonNode> pages = new ArrayList<>();
    Optional<String> cursor = Optional.empty();
    do {
      String q =
          query + cursor.map(c -> (query.isEmpty() ? "" : "&") + "cursor=" + encode(c)).orElse("");
      Reply reply = get(q, workspaceHeader);
      assertEquals(200, reply.status(), reply.json().toString());
      pages.add(reply.json());
      JsonNode next = reply.json().get("next_cursor");
      assertTrue(next != null, "next_cursor is always there: " + reply.json());
      cursor = next.isNull() ? Optional.empty() : Optional.of(next.asText());
      assertTrue(pages.size() < 1000, "the walk does not end");
    } while (cursor.isPresent());
    return pages;
  }

  private List<JsonNode> walk(String query) {
    return walk(query, Optional.empty());
  }

  /** The records of every page of {@code query}, in order. */
  private List<JsonNode> walk(String query, Optional<String> workspaceHeader) {
    List<JsonNode> records = new ArrayList<>();
    for (JsonNode page : pages(query, workspaceHeader)) {
      page.get("records").forEach(records::add);
    }
    return records;
  }

  private static List<String> ids(List<JsonNode> records) {
    return records.stream().map(r -> r.get("request_id").asText()).toList();
  }

  private List<String> expected(Predicate<AuditRecord> which) {
    return written.stream().filter(which).map(AuditRecord::requestId).toList();
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 3, 7, 100})
  void pagingToTheEndReturnsEveryRecordOnceInJournalOrder(int limit) {
    List<JsonNode> records = walk("limit=" + limit);
    assertEquals(expected(r -> true), ids(records));
    long previous = 0;
    for (JsonNode record : records) {
      long offset = record.get("offset").asLong();
      assertTrue(offset > previous, "offsets rise: " + offset + " after " + previous);
      previous = offset;
    }
    for (JsonNode page : pages("limit=" + limit, Optional.empty())) {
      assertTrue(page.get("records").size() <= Math.min(limit, MAX_SCAN), page.toString());
    }
  }

  @Test
  void aRecordShowsEveryFieldInSnakeCase() {
    JsonNode first = walk("subject=alice&limit=1").get(0);
    AuditRecord alice = written.stream().filter(r -> r.subject().equals("alice")).findFirst().get();
    assertEquals(alice.time().toString(), first.get("time").asText());
    assertEquals("alice", first.get("subject").asText());
    assertEquals("alice-laptop", first.get("device_name").asText());
    assertEquals("ws-a", first.get("workspace").asText());
    assertEquals("POST", first.get("method").asText());
    assertEquals("/api/v1/missions/{id}/cancel", first.get("route").asText());
    assertEquals(alice.targets().get(0), first.get("targets").get(0).asText());
    assertEquals(alice.status(), first.get("status").asInt());
    assertEquals(alice.requestId(), first.get("request_id").asText());
    assertTrue(first.get("offset").asLong() > 0);
    Set<String> fields = new TreeSet<>();
    first.fieldNames().forEachRemaining(fields::add);
    assertEquals(
        new TreeSet<>(
            List.of(
                "time",
                "subject",
                "device_name",
                "workspace",
                "method",
                "route",
                "targets",
                "status",
                "request_id",
                "offset")),
        fields);
  }

  @Test
  void filtersByWorkspaceSubjectAndSince() {
    Instant since = T0.plusSeconds(17);
    assertEquals(
        expected(r -> r.workspace().equals(Optional.of("ws-b"))), ids(walk("workspace=ws-b")));
    assertEquals(expected(r -> r.subject().equals("bob")), ids(walk("subject=bob")));
    assertEquals(
        expected(r -> r.workspace().equals(Optional.of("ws-a")) && r.subject().equals("alice")),
        ids(walk("workspace=ws-a&subject=alice&limit=2")));
    assertEquals(
        expected(r -> !r.time().isBefore(since)), ids(walk("since=" + encode(since.toString()))));
    assertEquals(
        expected(r -> !r.time().isBefore(since)),
        ids(walk("since=" + encode("2026-11-30T11:00:17+01:00"))));
    assertEquals(
        expected(r -> !r.time().isBefore(since) && r.subject().equals("root")),
        ids(walk("since=" + encode(since.toString()) + "&subject=root")));
    assertEquals(List.of(), walk("subject=nobody"));
  }

  @Test
  void aSelectiveFilterReadsAtMostMaxScanRowsPerRequest() {
    List<JsonNode> pages = pages("subject=root&limit=100", Optional.empty());
    assertEquals(expected(r -> r.subject().equals("root")), ids(walk("subject=root&limit=100")));
    // 40 rows, at most 7 read per request: at least 6 requests, some with nothing found yet
    assertTrue(pages.size() >= (written.size() + MAX_SCAN - 1) / MAX_SCAN, pages.size() + " pages");
    assertTrue(
        pages.stream().anyMatch(p -> p.get("records").isEmpty() && !p.get("next_cursor").isNull()),
        "a page with no match and a cursor to go on");
  }

  @Test
  void aConfinedCallerSeesOnlyItsWorkspace() {
    List<String> wsB = expected(r -> r.workspace().equals(Optional.of("ws-b")));
    assertEquals(wsB, ids(walk("", Optional.of("ws-b"))));
    assertEquals(wsB, ids(walk("workspace=ws-b&limit=2", Optional.of("ws-b"))));
    assertEquals(List.of(), walk("subject=alice", Optional.of("ws-b")));
    Reply other = get("workspace=ws-a", Optional.of("ws-b"));
    assertEquals(403, other.status());
    assertEquals("forbidden", other.json().path("error").path("code").asText());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "cursor=not-a-cursor",
        "cursor=%s",
        "cursor=%t",
        "since=yesterday",
        "since=2026-13-01T00:00:00Z",
        "since=2026-11-30T10:00:00",
        "limit=0",
        "limit=many",
        "workspace=%01",
      })
  void badInputIsA400(String query) {
    String q =
        query
            .replace("%s", encode(Cursor.encode("-5")))
            .replace("%t", encode(Cursor.encode("after-mission-7")));
    Reply reply = get(q, Optional.empty());
    assertEquals(400, reply.status(), reply.json().toString());
    assertEquals("invalid_request", reply.json().path("error").path("code").asText());
  }
}
