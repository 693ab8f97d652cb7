package dev.muster.api.fuzz;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.muster.api.ApiClient;
import dev.muster.api.ApiClient.Response;
import dev.muster.api.MusterApplication;
import dev.muster.api.TestAuth;
import dev.muster.api.TestNodes;
import dev.muster.api.fuzz.RawHttp.Header;
import dev.muster.testing.Eventually;
import dev.muster.testing.TestDatabase;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every list of the API, walked page by page (limit 1, 2 and 5, {@code next_cursor} passed back as
 * {@code cursor} until there is none), holds exactly the objects that exist and match its filters,
 * each once, in id order where the API promises it (missions, escalations, participants) and in the
 * order of one big page where it does not (the backlog, in dispatch order). Expectations come from
 * the entities themselves (always current); lists are read models that follow the journal, so each
 * comparison is awaited. A cursor the API did not give out is a 400 on every list.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ListsPageToTheEndTest {
  private static final Duration WITHIN = Duration.ofSeconds(30);
  private static final List<Integer> LIMITS = List.of(1, 2, 5);
  private static final int MAX_PAGES = 200;

  /** Longer than the test: no offer expires and no waiting mission is given up meanwhile. */
  private static final long NEVER_MS = 600_000;

  private static final String WS_A = "ws-a";
  private static final String WS_B = "ws-b";

  /** One list to walk: where, as whom, what it must hold, and whether in id order. */
  record ListCase(
      String path,
      Optional<String> callerWorkspace,
      String items,
      String id,
      Function<List<JsonNode>, Set<String>> expected,
      boolean idOrder) {
    @Override
    public String toString() {
      return path + callerWorkspace.map(w -> " as a caller of " + w).orElse("");
    }
  }

  private TestDatabase database;
  private MusterApplication node;
  private ApiClient api;
  private RawHttp http;
  private final List<String> missions = new ArrayList<>();
  private final Map<String, JsonNode> participants = new LinkedHashMap<>();

  @BeforeAll
  void startNode(@TempDir Path dataDir) {
    database = TestDatabase.h2(dataDir);
    node =
        MusterApplication.start(
            TestNodes.restartable(database, Map.of("muster.db.query-refresh-interval", "50ms")));
    api = new ApiClient(node.httpAddress());
    http = new RawHttp(node.httpAddress());
    Eventually.assertWithin(
        WITHIN, () -> assertEquals(200, api.get("/api/v1/participants").status()));
    createParticipantsAndMissions();
  }

  @AfterAll
  void stopNode() throws Exception {
    node.close();
    database.close();
  }

  /**
   * Participants of both workspaces with different capabilities and roles, and missions: some that
   * a participant holds (offered, never taken), some that nobody can take (waiting in the backlog,
   * in several priorities), some given up at once (escalated), one of them then cancelled by an
   * operator (its escalation resolved).
   */
  private void createParticipantsAndMissions() {
    register(WS_A, List.of("x"), "worker");
    register(WS_A, List.of("x"), "reviewer");
    register(WS_A, List.of("y"), "worker");
    register(WS_A, List.of("x", "y"), "worker");
    register(WS_A, List.of("z"), "reviewer");
    register(WS_A, List.of("x"), "worker");
    register(WS_B, List.of("x"), "worker");
    register(WS_B, List.of("y"), "reviewer");
    register(WS_B, List.of("x"), "worker");
    register(WS_B, List.of("z"), "worker");
    String cancelled = submitMissions(WS_A, 8, 10, 5).get(0);
    submitMissions(WS_B, 2, 3, 2);
    JsonNode escalated = awaitState(cancelled, "escalated");
    String escalation = escalated.path("escalations").get(0).path("id").asText();
    Response resolved =
        api.post(
            "/api/v1/escalations/" + escalation + "/resolve",
            "{\"action\":\"cancel\",\"note\":\"not needed\"}");
    assertEquals(200, resolved.status(), resolved.toString());
  }

  private void register(String ws, List<String> capabilities, String role) {
    Response registered =
        api.post(
            "/api/v1/participants",
            "{\"workspace\":\""
                + ws
                + "\",\"capabilities\":"
                + json(capabilities)
                + ",\"roles\":[\""
                + role
                + "\"],\"max_concurrent_attempts\":20}");
    assertEquals(201, registered.status(), registered.toString());
    participants.put(registered.body().get("id").asText(), registered.body());
  }

  /**
   * {@code held} missions for capability x (offered to a participant that never takes them), {@code
   * waiting} for capability q (nobody has it; not given up while the test runs), {@code escalating}
   * given up after 300 ms; answers the escalating ones.
   */
  private List<String> submitMissions(String ws, int held, int waiting, int escalating) {
    for (int i = 0; i < held; i++) {
      submit(ws, "x", NEVER_MS, i, i % 3 == 0);
    }
    for (int i = 0; i < waiting; i++) {
      submit(ws, "q", NEVER_MS, i % 4 - 2, i % 2 == 0);
    }
    List<String> escalated = new ArrayList<>();
    for (int i = 0; i < escalating; i++) {
      escalated.add(submit(ws, "nobody", 300, 0, false));
    }
    return escalated;
  }

  private String submit(
      String ws, String capability, long scheduleToStartMs, int priority, boolean spec) {
    Response submitted =
        api.post(
            "/api/v1/missions",
            "{\"workspace\":\""
                + ws
                + "\",\"title\":\"t\",\"required_capabilities\":[\""
                + capability
                + "\"],\"priority\":"
                + priority
                + ",\"timeouts\":{\"schedule_to_start_ms\":"
                + scheduleToStartMs
                + "}"
                + (spec ? ",\"spec\":{\"spec_id\":\"spec-1\",\"spec_version\":\"1\"}" : "")
                + "}");
    assertEquals(201, submitted.status(), submitted.toString());
    String id = submitted.body().get("id").asText();
    missions.add(id);
    return id;
  }

  private JsonNode awaitState(String id, String state) {
    return Eventually.get(
        WITHIN,
        () -> {
          JsonNode mission = mission(id);
          assertEquals(state, mission.path("state").asText(), mission.toString());
          return mission;
        });
  }

  private JsonNode mission(String id) {
    Response read = api.get("/api/v1/missions/" + id);
    assertEquals(200, read.status(), read.toString());
    return read.body();
  }

  // The lists

  List<ListCase> lists() {
    String holder = holderOfMissions();
    return List.of(
        missionList("/api/v1/missions", m -> true),
        missionList("/api/v1/missions?workspace=" + WS_A, inWorkspace(WS_A)),
        missionList("/api/v1/missions?workspace=" + WS_B, inWorkspace(WS_B)),
        missionList("/api/v1/missions?state=queued", inState("queued")),
        missionList("/api/v1/missions?state=escalated", inState("escalated")),
        missionList(
            "/api/v1/missions?workspace=" + WS_A + "&state=offered",
            inWorkspace(WS_A).and(inState("offered"))),
        missionList(
            "/api/v1/missions?spec=spec-1",
            m -> m.path("spec").path("spec_id").asText().equals("spec-1")),
        missionList("/api/v1/missions?participant=" + holder, heldBy(holder)),
        new ListCase(
            "/api/v1/missions",
            Optional.of(WS_B),
            "missions",
            "id",
            now -> ids(now, inWorkspace(WS_B)),
            true),
        escalationList("/api/v1/escalations?state=all", Optional.empty(), e -> true),
        escalationList("/api/v1/escalations", Optional.empty(), Escalation::open),
        escalationList("/api/v1/escalations?state=open", Optional.empty(), Escalation::open),
        escalationList("/api/v1/escalations?state=resolved", Optional.empty(), e -> !e.open()),
        escalationList(
            "/api/v1/escalations?workspace=" + WS_A + "&state=all",
            Optional.empty(),
            e -> e.workspace().equals(WS_A)),
        escalationList(
            "/api/v1/escalations?state=all", Optional.of(WS_B), e -> e.workspace().equals(WS_B)),
        participantList("/api/v1/participants", Optional.empty(), p -> true),
        participantList(
            "/api/v1/participants?workspace=" + WS_A,
            Optional.empty(),
            p -> p.path("workspace").asText().equals(WS_A)),
        participantList("/api/v1/participants?capability=x", Optional.empty(), capable("x")),
        participantList(
            "/api/v1/participants?workspace=" + WS_B + "&capability=x",
            Optional.empty(),
            capable("x").and(p -> p.path("workspace").asText().equals(WS_B))),
        participantList(
            "/api/v1/participants?role=reviewer",
            Optional.empty(),
            p -> texts(p.path("roles")).contains("reviewer")),
        participantList(
            "/api/v1/participants",
            Optional.of(WS_A),
            p -> p.path("workspace").asText().equals(WS_A)),
        backlogList("/api/v1/backlog?workspace=" + WS_A, Optional.empty(), WS_A),
        backlogList("/api/v1/backlog?workspace=" + WS_B, Optional.empty(), WS_B),
        backlogList("/api/v1/backlog", Optional.of(WS_B), WS_B));
  }

  private static ListCase missionList(String path, Predicate<JsonNode> matches) {
    return new ListCase(path, Optional.empty(), "missions", "id", now -> ids(now, matches), true);
  }

  private record Escalation(String id, String workspace, boolean open) {}

  private static ListCase escalationList(
      String path, Optional<String> caller, Predicate<Escalation> matches) {
    return new ListCase(
        path,
        caller,
        "escalations",
        "id",
        now -> {
          Set<String> ids = new TreeSet<>();
          for (JsonNode mission : now) {
            for (JsonNode e : mission.path("escalations")) {
              Escalation escalation =
                  new Escalation(
                      e.path("id").asText(),
                      mission.path("workspace").asText(),
                      e.path("state").asText().equals("open"));
              if (matches.test(escalation)) {
                ids.add(escalation.id());
              }
            }
          }
          return ids;
        },
        true);
  }

  private ListCase participantList(
      String path, Optional<String> caller, Predicate<JsonNode> matches) {
    Set<String> ids = new TreeSet<>();
    participants.forEach(
        (id, participant) -> {
          if (matches.test(participant)) {
            ids.add(id);
          }
        });
    return new ListCase(path, caller, "participants", "id", now -> ids, true);
  }

  /** The backlog's waiting missions: those of the workspace that are queued. */
  private static ListCase backlogList(String path, Optional<String> caller, String ws) {
    return new ListCase(
        path,
        caller,
        "missions",
        "mission_id",
        now -> ids(now, inWorkspace(ws).and(inState("queued"))),
        false);
  }

  private static Predicate<JsonNode> inWorkspace(String ws) {
    return m -> m.path("workspace").asText().equals(ws);
  }

  private static Predicate<JsonNode> inState(String state) {
    return m -> m.path("state").asText().equals(state);
  }

  private static Predicate<JsonNode> heldBy(String participant) {
    return m -> {
      for (JsonNode attempt : m.path("attempts")) {
        if (attempt.path("participant_id").asText().equals(participant)) {
          return true;
        }
      }
      return false;
    };
  }

  private static Predicate<JsonNode> capable(String capability) {
    return p -> texts(p.path("capabilities")).contains(capability);
  }

  /** A participant of ws-a that was offered missions, for the {@code participant} filter. */
  private String holderOfMissions() {
    return Eventually.get(
        WITHIN,
        () ->
            missionsNow().stream()
                .flatMap(m -> Stream.of(m.path("attempts").path(0).path("participant_id")))
                .filter(JsonNode::isTextual)
                .map(JsonNode::asText)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no mission was offered yet")));
  }

  // Walking

  @ParameterizedTest(name = "{0}")
  @MethodSource("lists")
  void everyPageWalkHoldsEachObjectOnce(ListCase list) {
    for (int limit : LIMITS) {
      Eventually.assertWithin(
          WITHIN,
          () -> {
            Set<String> expected = list.expected().apply(missionsNow());
            List<String> walked = walk(list, limit, Optional.empty());
            String shown = list + " with limit " + limit;
            assertEquals(
                walked.size(),
                new HashSet<>(walked).size(),
                shown + " shows an object twice: " + walked);
            assertEquals(expected, new TreeSet<>(walked), shown + " holds other objects");
            if (list.idOrder()) {
              assertEquals(List.copyOf(expected), walked, shown + " is not in id order");
            } else {
              assertEquals(onePage(list), walked, shown + " is not in the order of one page");
            }
          });
    }
  }

  /** A cursor this API did not give out is refused the same way by every list. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("lists")
  void aCursorTheApiDidNotGiveOutIs400(ListCase list) {
    for (String cursor : List.of("AAAA", "!!!")) {
      List<Header> headers = new ArrayList<>();
      list.callerWorkspace()
          .ifPresent(
              ws ->
                  headers.add(
                      new Header("Authorization", TestAuth.bearer(TestAuth.workspace(ws)))));
      String target = list.path() + (list.path().contains("?") ? "&" : "?") + "cursor=" + cursor;
      RawHttp.Reply reply = http.send("GET", target, headers, null);
      String where = "GET " + target + "\n  answered: " + ApiContract.describe(reply);
      assertEquals(400, reply.status(), where);
      assertEquals("invalid_request", ApiContract.errorOf(where, reply), where);
      assertTrue(reply.body().contains("cursor"), "the message names the cursor: " + where);
    }
  }

  /**
   * A list page goes on after the key its cursor names even when that object has left the list
   * meanwhile: a waiting mission that is cancelled after the first page leaves the missions list
   * filtered by {@code state=queued}, and the backlog.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("movingLists")
  void aCursorOutlivesTheObjectItNames(String ws, ListCase list) {
    List<String> waiting = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      waiting.add(submit(ws, "q", NEVER_MS, 0, false));
    }
    Eventually.assertWithin(
        WITHIN,
        () -> assertEquals(new TreeSet<>(waiting), new TreeSet<>(walk(list, 5, Optional.empty()))));
    Response first = page(list, 1, Optional.empty());
    String head = first.body().path(list.items()).get(0).path(list.id()).asText();
    String cursor = first.body().path("next_cursor").asText();
    Response cancelled = api.post("/api/v1/missions/" + head + "/cancel", "{\"reason\":\"moved\"}");
    assertEquals(200, cancelled.status(), cancelled.toString());
    Set<String> rest = new TreeSet<>(waiting);
    rest.remove(head);
    Eventually.assertWithin(
        WITHIN,
        () -> assertEquals(rest, new TreeSet<>(walk(list, 5, Optional.empty())), "settled"));
    assertEquals(
        rest,
        new TreeSet<>(walk(list, 1, Optional.of(cursor))),
        list
            + ": the pages after the cursor of "
            + head
            + ", which was cancelled after the first page, lose the missions still waiting");
  }

  Stream<Object[]> movingLists() {
    return Stream.of(
        new Object[] {
          "ws-c", missionList("/api/v1/missions?workspace=ws-c&state=queued", m -> true)
        },
        new Object[] {
          "ws-d", backlogList("/api/v1/backlog?workspace=ws-d", Optional.empty(), "ws-d")
        });
  }

  /** The ids of every page from {@code cursor} (the first page when empty) to the last. */
  private List<String> walk(ListCase list, int limit, Optional<String> cursor) {
    List<String> ids = new ArrayList<>();
    Optional<String> next = cursor;
    int pages = 0;
    do {
      Response page = page(list, limit, next);
      JsonNode items = page.body().path(list.items());
      assertTrue(items.size() <= limit, list + ": a page of " + limit + " holds " + items.size());
      assertTrue(
          next.isEmpty() || items.size() > 0,
          list + ": a next_cursor led to an empty page after " + ids);
      items.forEach(item -> ids.add(item.path(list.id()).asText()));
      JsonNode nextCursor = page.body().path("next_cursor");
      next = nextCursor.isTextual() ? Optional.of(nextCursor.asText()) : Optional.empty();
      assertTrue(++pages <= MAX_PAGES, list + " with limit " + limit + " does not end: " + ids);
    } while (next.isPresent());
    return ids;
  }

  private Response page(ListCase list, int limit, Optional<String> cursor) {
    String target =
        list.path()
            + (list.path().contains("?") ? "&" : "?")
            + "limit="
            + limit
            + cursor.map(c -> "&cursor=" + URLEncoder.encode(c, UTF_8)).orElse("");
    HttpRequest.Builder request = HttpRequest.newBuilder(api.uri(target)).GET();
    list.callerWorkspace()
        .ifPresent(ws -> request.header("Authorization", TestAuth.bearer(TestAuth.workspace(ws))));
    Response page = api.send(request);
    assertEquals(200, page.status(), "GET " + target + ": " + page);
    return page;
  }

  /** The list in one page of the largest size: the order every walk must follow. */
  private List<String> onePage(ListCase list) {
    Response page = page(list, 500, Optional.empty());
    List<String> ids = new ArrayList<>();
    page.body().path(list.items()).forEach(item -> ids.add(item.path(list.id()).asText()));
    return ids;
  }

  /** Every mission this test made, as its entity answers now. */
  private List<JsonNode> missionsNow() {
    return List.copyOf(missions).stream().map(this::mission).toList();
  }

  private static Set<String> ids(List<JsonNode> missions, Predicate<JsonNode> matches) {
    Set<String> ids = new TreeSet<>();
    missions.stream().filter(matches).forEach(m -> ids.add(m.path("id").asText()));
    return ids;
  }

  private static Set<String> texts(JsonNode array) {
    Set<String> texts = new HashSet<>();
    array.forEach(t -> texts.add(t.asText()));
    return texts;
  }

  private static String json(List<String> names) {
    return names.stream().map(n -> "\"" + n + "\"").toList().toString();
  }
}
