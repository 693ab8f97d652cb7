package dev.muster.api.fuzz;

import static dev.muster.api.fuzz.JsonText.obj;
import static dev.muster.api.fuzz.JsonText.raw;
import static dev.muster.api.fuzz.JsonText.strings;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.muster.api.ApiClient;
import dev.muster.api.ApiClient.Response;
import dev.muster.api.MusterApplication;
import dev.muster.api.TestAuth;
import dev.muster.api.TestNodes;
import dev.muster.api.TestWorker;
import dev.muster.api.fuzz.JsonText.Obj;
import dev.muster.api.fuzz.RawHttp.Header;
import dev.muster.api.fuzz.RequestGenerator.Credential;
import dev.muster.api.fuzz.RequestGenerator.Request;
import dev.muster.api.fuzz.RequestGenerator.Route;
import dev.muster.testing.Eventually;
import dev.muster.testing.TestDatabase;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded random requests to every route of one real node (H2, real HTTP): valid calls that make
 * participants, missions, attempts and escalations in two workspaces, mixed with requests that are
 * wrong in every way a client can be wrong (see {@link RequestGenerator}), tokens and devices among
 * them. Whatever is asked, each answer keeps {@link ApiContract}; no request without a valid token
 * is let in; the key set never changes; afterwards the node still serves everything it accepted and
 * runs a normal mission to the end.
 *
 * <p>The seed is printed at the start and is in every failure message: {@code
 * -Dmuster.test.seed=<seed>} sends the same requests again.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RandomRequestsTest {
  private static final int RANDOM_REQUESTS = 400;
  private static final Duration WITHIN = Duration.ofSeconds(30);
  private static final List<String> BODY_PATHS =
      List.of("/api/v1/missions", "/api/v1/participants", "/api/v1/budgets/x");

  private final long seed = seed();
  private final Random random = new Random(seed);
  private final RequestGenerator requests = new RequestGenerator(random);
  private TestDatabase database;
  private MusterApplication node;
  private ApiClient api;
  private RawHttp http;
  private int sent;
  private int finals;
  private final List<String> violations = new ArrayList<>();
  private final Map<String, Map<Integer, Integer>> answers = new TreeMap<>();

  private static long seed() {
    String given = System.getProperty("muster.test.seed", "").trim();
    return given.isEmpty() ? System.currentTimeMillis() : Long.parseLong(given);
  }

  @BeforeAll
  void startNode(@TempDir Path dataDir) {
    System.out.println(
        "RandomRequestsTest seed " + seed + " (run again with -Dmuster.test.seed=" + seed + ")");
    database = TestDatabase.h2(dataDir);
    node = MusterApplication.start(TestNodes.singleNode(database));
    api = new ApiClient(node.httpAddress());
    http = new RawHttp(node.httpAddress());
    Eventually.assertWithin(
        WITHIN,
        () -> {
          assertEquals(200, api.get("/health/ready").status(), seedText());
          assertEquals(200, api.get("/api/v1/participants").status(), seedText());
        });
  }

  @AfterAll
  void stopNode() throws Exception {
    System.out.println(sent + " requests; statuses by route and method:");
    answers.forEach((route, statuses) -> System.out.println("  " + route + " " + statuses));
    node.close();
    database.close();
  }

  @Test
  void everyAnswerKeepsTheContractAndTheNodeKeepsServing() throws Exception {
    createSomeOfEverything();
    // Every route with every method once, then the random requests.
    for (Route route : Route.values()) {
      for (String method : RequestGenerator.METHODS) {
        send(requests.request(route, method));
      }
    }
    for (int i = 0; i < RANDOM_REQUESTS; i++) {
      int roll = random.nextInt(100);
      if (roll < 18) {
        validStep();
      } else if (roll < 20) {
        try {
          brokenChunkedBody(requests.pick(BODY_PATHS));
        } catch (AssertionError broken) {
          violations.add(broken.getMessage());
        }
      } else {
        send(requests.next());
      }
    }
    // Afterwards: what was accepted is still there, and work still gets done.
    everythingAcceptedStillAnswers();
    aNormalMissionStillSucceeds();
    violations.forEach(v -> System.out.println("VIOLATION " + v));
    if (!violations.isEmpty()) {
      fail(
          seedText()
              + ": "
              + violations.size()
              + " of "
              + sent
              + " answers broke the contract; the first ones:\n"
              + String.join("\n\n", violations.subList(0, Math.min(violations.size(), 8))));
    }
  }

  /**
   * A chunked body with a chunk-size line that is not a size, or one that stops midway, is the
   * client's fault: 400 with the error body (when the connection is still there to answer on).
   */
  @Test
  void brokenChunkedBodiesAreClientErrors() throws IOException {
    for (String path : BODY_PATHS) {
      brokenChunkedBody(path);
    }
    assertEquals(200, api.get("/health/alive").status(), seedText());
  }

  /**
   * The token subject is the only identity: a body's {@code "from"} naming someone else (the
   * operator, another workspace, nobody known) is refused or ignored, never recorded as who acted.
   * Each request, sent with ws-a's token, carries a request id of its own; the audit record of each
   * names ws-a, and nothing is recorded under the names a {@code "from"} gave.
   */
  @Test
  void aFromInTheBodyNamesNobody() {
    String ws = RequestGenerator.WS_A;
    List<Object[]> bodies =
        List.of(
            new Object[] {Route.SUBMIT, "/api/v1/missions", plainMission(ws, "x")},
            new Object[] {Route.REGISTER, "/api/v1/participants", requests.registration(ws, "x")},
            new Object[] {Route.SET_LIMIT, "/api/v1/budgets/" + ws, RequestGenerator.limit("10")},
            new Object[] {Route.REGISTER_DEVICE, "/api/v1/devices", requests.device(ws)},
            new Object[] {
              Route.MINT,
              "/api/v1/tokens",
              obj().with("kind", "session").with("subject", "s-from").with("workspace", ws)
            });
    Map<String, String> sent = new LinkedHashMap<>();
    int before = violations.size();
    int i = 0;
    for (Object[] b : bodies) {
      for (String from : List.of("operator", RequestGenerator.WS_B, "mallory")) {
        Obj body = ((Obj) b[2]).replace("from", from);
        String requestId = "from-" + seed + "-" + i++;
        Request valid = requests.valid((Route) b[0], (String) b[1], body);
        List<Header> headers = new ArrayList<>(valid.headers());
        headers.add(new Header("Authorization", TestAuth.bearer(TestAuth.workspace(ws))));
        headers.add(new Header("X-Request-Id", requestId));
        Request request =
            new Request(
                valid.route(),
                valid.method(),
                valid.target(),
                new Credential(Credential.Kind.WORKSPACE, "the workspace token of " + ws),
                headers,
                valid.body());
        RawHttp.Reply reply = send(request);
        sent.put(requestId, request.describe() + "\n  answered: " + ApiContract.describe(reply));
      }
    }
    List<String> broken = violations.subList(before, violations.size());
    assertTrue(broken.isEmpty(), seedText() + ": " + String.join("\n\n", broken));
    Eventually.assertWithin(
        WITHIN,
        () -> {
          Map<String, String> subjects = new LinkedHashMap<>();
          for (JsonNode record : auditRecords("/api/v1/audit?workspace=" + ws)) {
            String id = record.path("request_id").asText();
            if (sent.containsKey(id)) {
              subjects.put(id, record.path("subject").asText());
            }
          }
          for (Map.Entry<String, String> request : sent.entrySet()) {
            assertEquals(
                ws,
                subjects.get(request.getKey()),
                seedText()
                    + ": the audit record of\n  "
                    + request.getValue()
                    + "\n  names another subject (null: no record)");
          }
        });
    for (String from : List.of("mallory", RequestGenerator.WS_B, "operator")) {
      for (JsonNode record : auditRecords("/api/v1/audit?subject=" + from)) {
        assertTrue(
            !sent.containsKey(record.path("request_id").asText()),
            seedText() + ": recorded under " + from + ": " + record);
      }
    }
  }

  /** Every record of the audit log that {@code path} lists, page by page. */
  private List<JsonNode> auditRecords(String path) {
    List<JsonNode> records = new ArrayList<>();
    Optional<String> cursor = Optional.empty();
    do {
      String target = path + "&limit=500" + cursor.map(c -> "&cursor=" + c).orElse("");
      Response page = api.get(target);
      assertEquals(200, page.status(), seedText() + ": GET " + target + ": " + page);
      page.body().path("records").forEach(records::add);
      JsonNode next = page.body().path("next_cursor");
      cursor = next.isTextual() ? Optional.of(next.asText()) : Optional.empty();
    } while (cursor.isPresent());
    return records;
  }

  // Requests and their checks

  private RawHttp.Reply send(Request request) {
    String context = seedText() + ", request #" + ++sent + "\n  " + request.describe();
    RawHttp.Reply reply;
    try {
      reply = http.send(request.method(), request.target(), request.headers(), request.body());
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError(context + "\n  " + e, e);
    }
    answers
        .computeIfAbsent(request.route() + " " + request.method(), k -> new TreeMap<>())
        .merge(reply.status(), 1, Integer::sum);
    try {
      ApiContract.check(context, reply);
    } catch (AssertionError broken) {
      violations.add(broken.getMessage());
    }
    if (!request.credential().valid()
        && request.target().startsWith("/api/")
        && reply.status() < 400) {
      violations.add(
          "a request without a valid token was let in\n"
              + context
              + "\n  answered: "
              + ApiContract.describe(reply));
    }
    if ((request.route() == Route.KEYS_ROTATE || request.route() == Route.KEY_RETIRE)
        && reply.status() < 300) {
      // The run never sends these with keys:manage but for keys that do not exist.
      violations.add(
          "the key set changed for a caller that may not change it, or for a key that does not"
              + " exist\n"
              + context
              + "\n  answered: "
              + ApiContract.describe(reply));
    }
    requests.learn(reply);
    return reply;
  }

  private RawHttp.Reply send(Route route, String target, Obj body, int expected) {
    return expect(expected, requests.valid(route, target, body));
  }

  /** Sends {@code request}; an answer other than {@code expected} is recorded as a violation. */
  private RawHttp.Reply expect(int expected, Request request) {
    RawHttp.Reply reply = send(request);
    if (reply.status() != expected && reply.status() < 500) {
      violations.add(
          seedText()
              + ", request #"
              + sent
              + " expected "
              + expected
              + "\n  "
              + request.describe()
              + "\n  answered: "
              + ApiContract.describe(reply));
    }
    return reply;
  }

  private RawHttp.Reply send(Route route, String target, Obj body) {
    return send(requests.valid(route, target, body));
  }

  private String seedText() {
    return "seed " + seed + " (-Dmuster.test.seed=" + seed + ")";
  }

  // Valid calls: what the random requests find to work on

  private void createSomeOfEverything() {
    for (String ws : RequestGenerator.WORKSPACES) {
      for (int i = 0; i < 2; i++) {
        send(Route.REGISTER, "/api/v1/participants", requests.registration(ws, "x"), 201);
      }
      for (int i = 0; i < 3; i++) {
        send(Route.SUBMIT, "/api/v1/missions", plainMission(ws, "x"), 201);
      }
      Obj unservable =
          plainMission(ws, "nobody").with("timeouts", obj().with("schedule_to_start_ms", 300));
      send(Route.SUBMIT, "/api/v1/missions", unservable, 201);
      send(Route.SET_LIMIT, "/api/v1/budgets/" + ws, RequestGenerator.limit("1000000"), 200);
      send(Route.REGISTER_DEVICE, "/api/v1/devices", requests.device(ws), 201);
    }
    // Tokens of every kind, so that later requests can use, list and revoke them.
    for (int i = 0; i < 6; i++) {
      send(
          Route.MINT,
          "/api/v1/tokens",
          requests.mint(requests.pick(RequestGenerator.WORKSPACES)),
          201);
    }
    send(Route.ME, "/api/v1/me", null, 200);
    send(Route.LIST_TOKENS, "/api/v1/tokens?limit=5", null, 200);
    send(Route.LIST_DEVICES, "/api/v1/devices", null, 200);
    send(Route.LIST_KEYS, "/api/v1/keys", null, 200);
    send(Route.AUDIT, "/api/v1/audit?limit=5", null, 200);
    oddButValidNamesAreKept();
    controlCharactersInNamesAreRefused();
    stringsThatAreNotUnicodeAreRefused();
    bodiesBeyondTheRulesAreRefused();
  }

  /**
   * Amounts the rule refuses (negative, more than six fraction digits, above the maximum, 150 and
   * 1001 digits, not a number) as a limit, an estimate and a cost; a repeated key; nesting beyond
   * 100 levels in {@code input}: each a 400, whichever object it is about.
   */
  private void bodiesBeyondTheRulesAreRefused() {
    String ws = RequestGenerator.WS_A;
    String mission = requests.missions().keySet().iterator().next();
    for (String amount :
        List.of(
            "0.30000000000000004",
            "0.1234567",
            "1e-7",
            "1e300",
            "1e999999999",
            "-1",
            "1" + "0".repeat(149),
            "9".repeat(1001),
            "1000000000000",
            "\"1\"")) {
      send(Route.SET_LIMIT, "/api/v1/budgets/" + ws, RequestGenerator.limit(amount), 400);
      Obj budget = obj().with("scope", ws).with("estimate", raw(amount));
      send(Route.SUBMIT, "/api/v1/missions", plainMission(ws, "x").with("budget", budget), 400);
      send(
          Route.COMPLETE,
          "/api/v1/missions/" + mission + "/attempts/1/complete",
          RequestGenerator.completion(amount),
          400);
    }
    Obj repeated = obj().with("limit", 1).with("limit", 2);
    send(Route.SET_LIMIT, "/api/v1/budgets/" + ws, repeated, 400);
    Obj deep = plainMission(ws, "nobody").with("input", JsonText.nestedArrays(101));
    send(Route.SUBMIT, "/api/v1/missions", deep, 400);
    Obj deepest = plainMission(ws, "nobody").with("input", JsonText.nestedArrays(99));
    send(Route.SUBMIT, "/api/v1/missions", deepest, 201);
  }

  /**
   * Names the API accepts (no control character, at most 200 characters) however odd: each, as a
   * title, a capability and a string in {@code input}, makes a mission or a participant (201).
   */
  private void oddButValidNamesAreKept() {
    for (String odd : RequestGenerator.ODD_NAMES) {
      String ws = requests.pick(RequestGenerator.WORKSPACES);
      send(Route.SUBMIT, "/api/v1/missions", plainMission(ws, "x").replace("title", odd), 201);
      send(Route.REGISTER, "/api/v1/participants", requests.registration(ws, odd), 201);
      Obj input = plainMission(ws, "nobody").with("input", obj().with("text", odd));
      send(Route.SUBMIT, "/api/v1/missions", input, 201);
    }
  }

  /** A control character (or a blank) in a workspace, a capability or a title is a 400. */
  private void controlCharactersInNamesAreRefused() {
    for (String refused : RequestGenerator.REFUSED_NAMES) {
      String ws = requests.pick(RequestGenerator.WORKSPACES);
      send(Route.SUBMIT, "/api/v1/missions", plainMission(refused, "x"), 400);
      send(Route.REGISTER, "/api/v1/participants", requests.registration(ws, refused), 400);
    }
    for (String refused : List.of("", " ", "\u0000", "a\u0000b", "z".repeat(2001))) {
      Obj mission = plainMission(RequestGenerator.WS_A, "x").replace("title", refused);
      send(Route.SUBMIT, "/api/v1/missions", mission, 400);
    }
  }

  /**
   * A string that is not Unicode text (an unpaired surrogate) is a 400 wherever it is: a name, a
   * title, a field of free-form input, a field name. (It used to stop the entity that tried to
   * write it, and the request timed out with a 503.)
   */
  private void stringsThatAreNotUnicodeAreRefused() {
    for (String bad : RequestGenerator.NOT_UNICODE) {
      String ws = requests.pick(RequestGenerator.WORKSPACES);
      send(Route.SUBMIT, "/api/v1/missions", plainMission(ws, "x").replace("title", bad), 400);
      send(Route.SUBMIT, "/api/v1/missions", plainMission(ws, bad), 400);
      send(Route.REGISTER, "/api/v1/participants", requests.registration(ws, bad), 400);
      Obj input = plainMission(ws, "nobody").with("input", obj().with("text", bad));
      send(Route.SUBMIT, "/api/v1/missions", input, 400);
      Obj key = plainMission(ws, "nobody").with("input", obj().with(bad, "value"));
      send(Route.SUBMIT, "/api/v1/missions", key, 400);
    }
  }

  private static Obj plainMission(String ws, String capability) {
    return obj()
        .with("workspace", ws)
        .with("title", "plain")
        .with("required_capabilities", strings(capability));
  }

  private void validStep() {
    String ws = requests.pick(RequestGenerator.WORKSPACES);
    switch (random.nextInt(8)) {
      case 6 -> send(Route.MINT, "/api/v1/tokens", requests.mint(ws), 201);
      case 7 -> send(Route.REGISTER_DEVICE, "/api/v1/devices", requests.device(ws), 201);
      case 0 -> send(Route.REGISTER, "/api/v1/participants", requests.registration(ws, "x"), 201);
      case 1 -> send(Route.SUBMIT, "/api/v1/missions", requests.submission(ws), 201);
      case 2, 3 -> {
        if (!requests.participants().isEmpty()) {
          work(requests.pick(requests.participants().keySet()));
        }
      }
      case 4 ->
          send(Route.SET_LIMIT, "/api/v1/budgets/" + ws, RequestGenerator.limit("1000000"), 200);
      default -> resolveAnEscalation();
    }
  }

  /** One round of a worker: poll, ack each message, and answer each offer one way or another. */
  private void work(String participant) {
    String inbox = "/api/v1/participants/" + participant + "/inbox";
    RawHttp.Reply polled = send(Route.INBOX, inbox + "?wait=0&max=10", null);
    if (polled.status() != 200) {
      return; // stood down, or another workspace's confinement: the random requests did that
    }
    JsonNode messages = ApiContract.json(seedText(), polled);
    requests.learnMessages(participant, messages);
    for (JsonNode message : messages.path("messages")) {
      send(Route.ACK, inbox + "/" + message.path("message_id").asText() + "/ack", null);
      if (!message.path("type").asText().equals("task_offer")) {
        continue;
      }
      String attempt =
          "/api/v1/missions/"
              + message.path("mission_id").asText()
              + "/attempts/"
              + message.path("attempt").asInt();
      if (random.nextInt(10) < 3) {
        Route route =
            requests.pick(
                List.of(
                    Route.ATTEMPT_HEARTBEAT,
                    Route.COMPLETE,
                    Route.FAIL,
                    Route.DECLINE,
                    Route.HANDOFF));
        send(requests.request(route, route.method, attempt + "/" + action(route)));
      }
      Obj complete = RequestGenerator.completion(requests.pick(RequestGenerator.VALID_COSTS));
      switch (random.nextInt(5)) {
        case 0, 1 -> send(Route.COMPLETE, attempt + "/complete", complete);
        case 2 ->
            send(
                Route.FAIL,
                attempt + "/fail",
                obj().with("reason", "flaky").with("retryable", raw("true")));
        case 3 -> {
          send(
              Route.ATTEMPT_HEARTBEAT,
              attempt + "/heartbeat",
              obj().with("progress", raw("0.5")).with("usage", obj().with("cost", raw("0.5"))));
          send(Route.COMPLETE, attempt + "/complete", complete);
        }
        default -> send(Route.DECLINE, attempt + "/decline", obj().with("reason", "busy"));
      }
    }
  }

  private static String action(Route route) {
    return switch (route) {
      case ATTEMPT_HEARTBEAT -> "heartbeat";
      case COMPLETE -> "complete";
      case FAIL -> "fail";
      case DECLINE -> "decline";
      default -> "handoff";
    };
  }

  private void resolveAnEscalation() {
    RawHttp.Reply open = send(Route.LIST_ESCALATIONS, "/api/v1/escalations?state=open", null);
    JsonNode escalations = ApiContract.json(seedText(), open).path("escalations");
    if (escalations.isEmpty()) {
      return;
    }
    String id = escalations.get(random.nextInt(escalations.size())).path("id").asText();
    send(
        Route.RESOLVE,
        "/api/v1/escalations/" + id + "/resolve",
        obj()
            .with("action", requests.pick(List.of("retry", "cancel", "accept_failure")))
            .with("note", "resolved by the test"));
  }

  // Broken bodies on a raw socket

  /**
   * Chunked bodies broken on the wire, sent on a raw socket: a chunk-size line that is no size, a
   * chunk longer than its size, no last chunk. Each is answered 400 with the error body. Then a
   * body cut off midway whose client stops sending and waits (answered 400, or the connection
   * closed without an answer), and one whose client goes away.
   */
  private void brokenChunkedBody(String path) throws IOException {
    String head =
        "POST "
            + path
            + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    String chunk = "{\"workspace\":\"ws-a\"}";
    Map<String, String> broken = new LinkedHashMap<>();
    broken.put("with chunk size 'zz'", "zz\r\n" + chunk + "\r\n0\r\n\r\n");
    broken.put("with chunk size '-1'", "-1\r\n" + chunk + "\r\n0\r\n\r\n");
    broken.put("with a 20-digit chunk size", "f".repeat(20) + "\r\n" + chunk + "\r\n0\r\n\r\n");
    broken.put("longer than its chunk size", "2\r\n" + chunk + "\r\n0\r\n\r\n");
    broken.put(
        "without its last chunk",
        Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n\r\n\r\n");
    for (Map.Entry<String, String> body : broken.entrySet()) {
      String context = chunkedContext(body.getKey(), path);
      Optional<RawHttp.Reply> reply =
          http.exchange((head + body.getValue()).getBytes(US_ASCII), false);
      assertTrue(reply.isPresent(), context + "\n  the node closed the connection without answer");
      ApiContract.check(context, reply.get());
      assertEquals(400, reply.get().status(), context + "\n  answered " + reply.get());
    }
    String cut = "40\r\n" + chunk;
    String context = chunkedContext("cut off after " + chunk.length() + " of 64 bytes", path);
    Optional<RawHttp.Reply> answer = http.exchange((head + cut).getBytes(US_ASCII), true);
    if (answer.isPresent()) {
      ApiContract.check(context, answer.get());
      assertEquals(400, answer.get().status(), context + "\n  answered " + answer.get());
    }
    sent++;
    try (Socket gone = new Socket(node.httpAddress().getAddress(), node.httpAddress().getPort())) {
      gone.getOutputStream().write((head + cut).getBytes(US_ASCII));
    }
  }

  private String chunkedContext(String what, String path) {
    return seedText() + ", request #" + ++sent + ": POST " + path + " with a chunked body " + what;
  }

  // Afterwards

  /** Every mission and participant the node accepted still answers, and so do the histories. */
  private void everythingAcceptedStillAnswers() {
    for (Map.Entry<String, String> mission : List.copyOf(requests.missions().entrySet())) {
      String path = "/api/v1/missions/" + mission.getKey();
      send(Route.GET_MISSION, path, null, 200);
      send(Route.HISTORY, path + "/history", null, 200);
    }
    for (String participant : List.copyOf(requests.participants().keySet())) {
      send(Route.GET_PARTICIPANT, "/api/v1/participants/" + participant, null, 200);
    }
  }

  /**
   * A worker with capability x completes a mission that requires x. In a workspace of its own, so
   * that no participant the random requests registered (and that does not poll) is offered it.
   */
  private void aNormalMissionStillSucceeds() throws Exception {
    String ws = "ws-final-" + ++finals;
    try (TestWorker worker =
        TestWorker.always(node.httpAddress(), ws, Set.of("x"), TestWorker.Plan.COMPLETE)) {
      Response submitted =
          api.post(
              "/api/v1/missions",
              "{\"workspace\":\""
                  + ws
                  + "\",\"title\":\"after the storm\",\"required_capabilities\":[\"x\"]}");
      assertEquals(201, submitted.status(), seedText() + ": " + submitted);
      String id = submitted.body().get("id").asText();
      Eventually.assertWithin(
          WITHIN,
          () -> {
            Response mission = api.get("/api/v1/missions/" + id);
            assertEquals(
                "succeeded", mission.body().path("state").asText(), seedText() + ": " + mission);
          });
    }
  }
}
