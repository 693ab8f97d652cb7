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
import dev.muster.api.access.Access;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every list of the API, walked page by page (limit 1, 2 and 5, {@code next_cursor} passed back as
 * {@code cursor} until there is none), holds exactly the objects that exist and match its filters,
 * each once, in id order where the API promises it (missions, escalations, participants) and in the
 * order of one big page where it does not (the backlog, in dispatch order; the audit log, in
 * journal order). Expectations come from the entities themselves (always current), and for tokens
 * and the audit log from what this test minted and changed (every state-changing request carries a
 * request id of its own, and its audit record is expected under the token's subject and the
 * workspace it names); lists are read models that follow the journal, so each comparison is
 * awaited. A cursor the API did not give out is a 400 on every list; every list of the API is
 * walked here.
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
  private final Map<String, Token> tokens = new LinkedHashMap<>();
  private final List<Change> changes = new ArrayList<>();

  /** A token the node recorded: minted, or a participant's credential. */
  private record Token(String jti, String subject, Optional<String> workspace) {}

  /**
   * A state-changing request this test sent, as its audit record must show it: its request id, the
   * token's subject, and the workspace (the token's, else the one the answer names).
   */
  private record Change(String requestId, String subject, Optional<String> workspace) {}

  /** Who sends a request: a token and its subject and workspace. */
  private record As(String token, String subject, Optional<String> workspace) {
    static As operator() {
      return new As(TestAuth.operator(), "operator", Optional.empty());
    }

    static As workspace(String ws) {
      return new As(TestAuth.workspace(ws), ws, Optional.of(ws));
    }
  }

  @BeforeAll
  void startNode(@TempDir Path dataDir) {
    // The shared key set exists before the node starts, so this is no first start: the token list
    // holds only what this test makes (a first start records the first operator's token too).
    TestAuth.tokens();
    database = TestDatabase.h2(dataDir);
    node =
        MusterApplication.start(
            TestNodes.restartable(
                database,
                Map.of(
                    "muster.db.query-refresh-interval",
                    "50ms",
                    // The walks send hundreds of requests a second as one subject; rate limits
                    // have their own test (limits.FairnessTest).
                    "muster.rate-limits.enabled",
                    false)));
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
        change(
            As.operator(),
            "POST",
            "/api/v1/escalations/" + escalation + "/resolve",
            "{\"action\":\"cancel\",\"note\":\"not needed\"}");
    assertEquals(200, resolved.status(), resolved.toString());
    mintTokens();
  }

  /**
   * Tokens of every kind, by the operator and by ws-b's token, enough to page: three operators (one
   * revoked: a revoked token is still listed), both workspaces, three session tokens of one
   * subject, a session token of ws-b, a device's token (a device of ws-b), a participant's; and the
   * credential of every participant registered above.
   */
  private void mintTokens() {
    for (String subject : List.of("op-1", "op-2", "op-3")) {
      mint(As.operator(), "{\"kind\":\"operator\",\"subject\":\"" + subject + "\"}");
    }
    for (String ws : List.of(WS_A, WS_B)) {
      mint(As.operator(), "{\"kind\":\"workspace\",\"workspace\":\"" + ws + "\"}");
    }
    for (int i = 0; i < 3; i++) {
      mint(
          As.operator(),
          "{\"kind\":\"session\",\"subject\":\"s-many\",\"workspace\":\"" + WS_A + "\"}");
    }
    mint(As.workspace(WS_B), "{\"kind\":\"session\",\"subject\":\"s-b\"}");
    Response device =
        change(
            As.workspace(WS_B),
            "POST",
            "/api/v1/devices",
            "{\"device_id\":\"phone-1\",\"name\":\"Bea's phone\"}");
    assertEquals(201, device.status(), device.toString());
    mint(
        As.operator(),
        "{\"kind\":\"device\",\"workspace\":\"" + WS_B + "\",\"device_id\":\"phone-1\"}");
    String participant =
        participants.values().stream()
            .filter(p -> p.path("workspace").asText().equals(WS_A))
            .findFirst()
            .orElseThrow()
            .path("id")
            .asText();
    mint(
        As.operator(),
        "{\"kind\":\"participant\",\"workspace\":\""
            + WS_A
            + "\",\"subject\":\""
            + participant
            + "\"}");
    String op3 =
        tokens.values().stream()
            .filter(t -> t.subject().equals("op-3"))
            .findFirst()
            .orElseThrow()
            .jti();
    Response revoked = change(As.operator(), "DELETE", "/api/v1/tokens/" + op3, null);
    assertEquals(200, revoked.status(), revoked.toString());
  }

  private void mint(As as, String json) {
    Response minted = change(as, "POST", "/api/v1/tokens", json);
    assertEquals(201, minted.status(), "POST /api/v1/tokens " + json + ": " + minted);
    JsonNode body = minted.body();
    tokens.put(
        body.get("jti").asText(),
        new Token(
            body.get("jti").asText(),
            body.get("subject").asText(),
            body.path("workspace").isTextual()
                ? Optional.of(body.get("workspace").asText())
                : Optional.empty()));
  }

  /**
   * A state-changing request, with a request id of its own, remembered as its audit record must
   * show it.
   */
  private Response change(As as, String method, String path, String json) {
    String requestId = "lp-" + (changes.size() + 1);
    HttpRequest.Builder request =
        HttpRequest.newBuilder(api.uri(path))
            .header("Authorization", TestAuth.bearer(as.token()))
            .header(Access.REQUEST_ID_HEADER, requestId)
            .method(
                method,
                json == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(json));
    if (json != null) {
      request.header("Content-Type", "application/json");
    }
    Response response = api.send(request);
    JsonNode named = response.body().path("workspace");
    changes.add(
        new Change(
            requestId,
            as.subject(),
            as.workspace()
                .or(() -> named.isTextual() ? Optional.of(named.asText()) : Optional.empty())));
    return response;
  }

  /** A participant of ws-a registered by the operator, of ws-b by ws-b's own token. */
  private void register(String ws, List<String> capabilities, String role) {
    Response registered =
        change(
            ws.equals(WS_B) ? As.workspace(WS_B) : As.operator(),
            "POST",
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
    String jti = registered.body().path("credential").path("jti").asText();
    tokens.put(jti, new Token(jti, registered.body().get("id").asText(), Optional.of(ws)));
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
        change(
            As.operator(),
            "POST",
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
        backlogList("/api/v1/backlog", Optional.of(WS_B), WS_B),
        tokenList("/api/v1/tokens", Optional.empty(), t -> true),
        tokenList(
            "/api/v1/tokens?workspace=" + WS_A,
            Optional.empty(),
            t -> t.workspace().equals(Optional.of(WS_A))),
        tokenList(
            "/api/v1/tokens?subject=s-many", Optional.empty(), t -> t.subject().equals("s-many")),
        tokenList(
            "/api/v1/tokens", Optional.of(WS_B), t -> t.workspace().equals(Optional.of(WS_B))),
        auditList("/api/v1/audit", Optional.empty(), c -> true),
        auditList(
            "/api/v1/audit?workspace=" + WS_A,
            Optional.empty(),
            c -> c.workspace().equals(Optional.of(WS_A))),
        auditList("/api/v1/audit?subject=" + WS_B, Optional.empty(), c -> c.subject().equals(WS_B)),
        auditList(
            "/api/v1/audit", Optional.of(WS_B), c -> c.workspace().equals(Optional.of(WS_B))));
  }

  /** The tokens the node recorded for this test that match, in jti order. */
  private ListCase tokenList(String path, Optional<String> caller, Predicate<Token> matches) {
    return new ListCase(
        path,
        caller,
        "tokens",
        "jti",
        now -> {
          Set<String> jtis = new TreeSet<>();
          tokens.values().stream().filter(matches).forEach(t -> jtis.add(t.jti()));
          return jtis;
        },
        true);
  }

  /** The audit records of this test's state-changing requests that match, in journal order. */
  private ListCase auditList(String path, Optional<String> caller, Predicate<Change> matches) {
    return new ListCase(
        path,
        caller,
        "records",
        "request_id",
        now -> {
          Set<String> ids = new TreeSet<>();
          List.copyOf(changes).stream().filter(matches).forEach(c -> ids.add(c.requestId()));
          return ids;
        },
        false);
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
   * Every list of the API is walked here: each route of {@link RequestGenerator.Route} that is a
   * GET without path parameters is asked for one item as the operator, and where the answer pages
   * (it has a {@code next_cursor}) its path must be among {@link #lists()}. A list route added
   * without a walk fails the build.
   */
  @Test
  void everyListOfTheApiIsWalked() {
    Set<String> walked = new TreeSet<>();
    lists().forEach(list -> walked.add(list.path().split("\\?")[0]));
    List<String> unwalked = new ArrayList<>();
    List<String> paged = new ArrayList<>();
    for (RequestGenerator.Route route : RequestGenerator.Route.values()) {
      if (!route.method.equals("GET")
          || route.template == null
          || !route.template.startsWith("/api/v1/")
          || route.template.contains("{")) {
        continue;
      }
      String target = route.template + "?workspace=" + WS_A + "&limit=1";
      Response answer = api.get(target);
      assertEquals(200, answer.status(), "GET " + target + ": " + answer);
      if (answer.body().has("next_cursor")) {
        paged.add(route.template);
        if (!walked.contains(route.template)) {
          unwalked.add(route + " " + route.template);
        }
      }
    }
    assertTrue(
        unwalked.isEmpty(),
        "lists of the API (they answer next_cursor) that this test does not walk: "
            + unwalked
            + " (walked: "
            + walked
            + ")");
    assertTrue(
        paged.containsAll(List.of("/api/v1/tokens", "/api/v1/audit", "/api/v1/missions")),
        "the lists are recognised by their next_cursor: " + paged);
  }

  /**
   * A cursor another list gave out is no cursor of the audit log, whose cursors name a place in the
   * journal: 400, like any cursor it did not give out.
   */
  @Test
  void theAuditLogRefusesAnotherListsCursor() {
    Response tokenPage = api.get("/api/v1/tokens?limit=1");
    assertEquals(200, tokenPage.status(), tokenPage.toString());
    String cursor = tokenPage.body().path("next_cursor").asText();
    assertTrue(!cursor.isEmpty(), "the token list pages: " + tokenPage);
    String target = "/api/v1/audit?cursor=" + cursor;
    RawHttp.Reply reply = http.send("GET", target, List.of(), null);
    String where =
        "GET "
            + target
            + " (a cursor of GET /api/v1/tokens)\n  answered: "
            + ApiContract.describe(reply);
    assertEquals(400, reply.status(), where);
    assertEquals("invalid_request", ApiContract.errorOf(where, reply), where);
    assertTrue(reply.body().contains("cursor"), "the message names the cursor: " + where);
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
    Response cancelled =
        change(
            As.operator(),
            "POST",
            "/api/v1/missions/" + head + "/cancel",
            "{\"reason\":\"moved\"}");
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
