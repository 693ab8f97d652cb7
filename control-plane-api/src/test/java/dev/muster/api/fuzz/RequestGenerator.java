package dev.muster.api.fuzz;

import static dev.muster.api.fuzz.JsonText.arr;
import static dev.muster.api.fuzz.JsonText.nestedArrays;
import static dev.muster.api.fuzz.JsonText.nestedObjects;
import static dev.muster.api.fuzz.JsonText.obj;
import static dev.muster.api.fuzz.JsonText.raw;
import static dev.muster.api.fuzz.JsonText.str;
import static dev.muster.api.fuzz.JsonText.strings;
import static java.nio.charset.StandardCharsets.UTF_16;
import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.muster.api.TestAuth;
import dev.muster.api.access.Scope;
import dev.muster.api.fuzz.JsonText.Arr;
import dev.muster.api.fuzz.JsonText.Member;
import dev.muster.api.fuzz.JsonText.Obj;
import dev.muster.api.fuzz.RawHttp.Header;
import dev.muster.api.identity.TokenKind;
import java.io.IOException;
import java.net.URLEncoder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The seeded source of {@link RandomRequestsTest}'s requests: every route of the API and paths that
 * are none, with any method; ids of objects that exist (in both workspaces) or cannot; good and bad
 * query parameters; as the operator, a workspace, a valid token of another kind or with fewer
 * scopes, a forged token or no bearer token at all ({@link Credential}); bodies that are valid, a
 * little wrong, claim to be {@code "from"} someone, or are not JSON at all. It learns the ids the
 * node answers with, so later requests reach real missions, participants, escalations, inbox
 * messages, tokens, devices and keys. The same seed gives the same requests as long as the node
 * gives the same answers.
 */
final class RequestGenerator {
  static final String WS_A = "ws-a";
  static final String WS_B = "ws-b";
  static final List<String> WORKSPACES = List.of(WS_A, WS_B);
  static final List<String> METHODS = List.of("GET", "POST", "PUT", "PATCH", "DELETE");

  /**
   * Every route of the API with the method it answers and its template (as {@link
   * dev.muster.api.access.RouteTable} writes it; {@code RouteCoverageTest} holds the two together),
   * and paths that are no route.
   */
  enum Route {
    SUBMIT("POST", "/api/v1/missions"),
    LIST_MISSIONS("GET", "/api/v1/missions"),
    GET_MISSION("GET", "/api/v1/missions/{id}"),
    HISTORY("GET", "/api/v1/missions/{id}/history"),
    CANCEL("POST", "/api/v1/missions/{id}/cancel"),
    APPROVAL("POST", "/api/v1/missions/{id}/approval"),
    ATTEMPT_HEARTBEAT("POST", "/api/v1/missions/{id}/attempts/{n}/heartbeat"),
    COMPLETE("POST", "/api/v1/missions/{id}/attempts/{n}/complete"),
    FAIL("POST", "/api/v1/missions/{id}/attempts/{n}/fail"),
    DECLINE("POST", "/api/v1/missions/{id}/attempts/{n}/decline"),
    HANDOFF("POST", "/api/v1/missions/{id}/attempts/{n}/handoff"),
    LIST_ESCALATIONS("GET", "/api/v1/escalations"),
    RESOLVE("POST", "/api/v1/escalations/{id}/resolve"),
    REGISTER("POST", "/api/v1/participants"),
    LIST_PARTICIPANTS("GET", "/api/v1/participants"),
    GET_PARTICIPANT("GET", "/api/v1/participants/{id}"),
    UPDATE_PARTICIPANT("PATCH", "/api/v1/participants/{id}"),
    PARTICIPANT_HEARTBEAT("POST", "/api/v1/participants/{id}/heartbeat"),
    DRAIN("POST", "/api/v1/participants/{id}/drain"),
    STAND_DOWN("POST", "/api/v1/participants/{id}/stand-down"),
    INBOX("GET", "/api/v1/participants/{id}/inbox"),
    INBOX_STREAM("GET", "/api/v1/participants/{id}/inbox/stream"),
    ACK("POST", "/api/v1/participants/{id}/inbox/{message}/ack"),
    BACKLOG("GET", "/api/v1/backlog"),
    SET_LIMIT("PUT", "/api/v1/budgets/{scope}"),
    GET_BUDGET("GET", "/api/v1/budgets/{scope}"),
    ME("GET", "/api/v1/me"),
    MINT("POST", "/api/v1/tokens"),
    LIST_TOKENS("GET", "/api/v1/tokens"),
    REVOKE_TOKEN("DELETE", "/api/v1/tokens/{jti}"),
    REVOKE_SUBJECT("DELETE", "/api/v1/subjects/{subject}/tokens"),
    REGISTER_DEVICE("POST", "/api/v1/devices"),
    LIST_DEVICES("GET", "/api/v1/devices"),
    LIST_KEYS("GET", "/api/v1/keys"),
    /**
     * Sent only with tokens that lack keys:manage (or forged ones): a rotation by the operator
     * would change the key set every test of this JVM signs with ({@link TestAuth}). Rotation
     * itself is tested on a node with keys of its own (FirstStartAndKeysTest).
     */
    KEYS_ROTATE("POST", "/api/v1/keys/rotate"),
    /**
     * Sent for a key of the shared key set only with tokens that lack keys:manage (retiring it
     * would refuse every token of the tests after), and for keys that do not exist with any token.
     */
    KEY_RETIRE("POST", "/api/v1/keys/{kid}/retire"),
    AUDIT("GET", "/api/v1/audit"),
    ALIVE("GET", "/health/alive"),
    READY("GET", "/health/ready"),
    NO_SUCH_PATH("GET", null);

    final String method;

    /** The route's path template; null for paths that are no route. */
    final String template;

    Route(String method, String template) {
      this.method = method;
      this.template = template;
    }
  }

  /** What a request's Authorization header carries, and what it says of it. */
  record Credential(Kind kind, String about) {
    enum Kind {
      /** No header: {@link RawHttp} sends the operator's token (every scope). */
      OPERATOR,
      /** The token of workspace ws-a or ws-b ({@link TestAuth#workspace}). */
      WORKSPACE,
      /**
       * A valid token of another kind or with fewer scopes: a participant's, a device's, a
       * session's, a reading operator's, one the node minted.
       */
      OTHER_KIND,
      /** A token no node may accept ({@link ForgedTokens}). */
      FORGED,
      /** An Authorization header that is no bearer token. */
      GARBAGE
    }

    /** Whether a node may let a request with this credential in at all. */
    boolean valid() {
      return kind != Kind.FORGED && kind != Kind.GARBAGE;
    }
  }

  /** One request, and how a failure message shows it. */
  record Request(
      Route route,
      String method,
      String target,
      Credential credential,
      List<Header> headers,
      byte[] body) {
    String describe() {
      StringBuilder text =
          new StringBuilder(
              route
                  + ": "
                  + method
                  + " "
                  + printable(target, 400)
                  + " as "
                  + printable(credential.about(), 200));
      headers.forEach(
          h ->
              text.append("\n    ")
                  .append(h.name())
                  .append(": ")
                  .append(printable(h.value(), 200)));
      if (body != null) {
        text.append("\n    body (")
            .append(body.length)
            .append(" bytes): ")
            .append(printable(new String(body, UTF_8), 400));
      }
      return text.toString();
    }
  }

  /** A request without an Authorization header: {@link RawHttp} sends the operator's token. */
  static final Credential AS_OPERATOR =
      new Credential(Credential.Kind.OPERATOR, "the operator (RawHttp's default token)");

  /** An inbox message a participant was given. */
  record Message(String participantId, String messageId) {}

  // Values a client may send, right and wrong.

  /** Names the API accepts (1 to 200 characters, no control character) that are still odd. */
  static final List<String> ODD_NAMES =
      List.of(
          "é",
          "Ω ws",
          " padded ",
          "\ud83d\ude00",
          "a\u2028b",
          "\ufeff",
          "\uffff",
          "%00",
          "../..",
          "<b>",
          "' or 1=1 --",
          "${jndi:ldap://127.0.0.1/a}",
          "null",
          "x".repeat(200));

  /**
   * Strings that are not Unicode text: a lone or reversed UTF-16 surrogate (sent as a JSON escape).
   * No journal encoder writes them, so the API refuses them anywhere in a body, even in free-form
   * input.
   */
  static final List<String> NOT_UNICODE = List.of("\ud800", "\udc00", "a\ude00\ud83d", "x\ud83d");

  /** Names the API must refuse: blank, control characters, too long. */
  static final List<String> REFUSED_NAMES =
      List.of(
          "",
          " ",
          "\u0000",
          "a\u0000b",
          "\u0001",
          "tab\there",
          "new\nline",
          "cr\rx",
          "\u001f",
          "\u007f",
          "\u0085",
          "x".repeat(201),
          "y".repeat(300));

  private static final List<String> LONG_TEXTS =
      List.of(
          "x\udfff",
          "z".repeat(2000),
          "z".repeat(2001),
          "w".repeat(20_000),
          WS_A,
          WS_B,
          "m-unknown");

  private static final List<String> STRINGS =
      List.copyOf(
          java.util.stream.Stream.of(ODD_NAMES, REFUSED_NAMES, LONG_TEXTS)
              .flatMap(List::stream)
              .toList());

  private static final List<String> NUMBERS =
      List.of(
          "0",
          "-1",
          "-0",
          "1.5",
          "0.30000000000000004",
          "0.1234567",
          "1e-7",
          "1e300",
          "1e999999999",
          "-1e999999999",
          "1e-999999999",
          "1E+2",
          "2147483648",
          "-2147483649",
          "9223372036854775808",
          "999999999999.999999",
          "1000000000000",
          "1" + "0".repeat(149),
          "9".repeat(1001),
          "0." + "1".repeat(150));

  /** What the brief names for budget.estimate, usage.cost and limit, and their neighbours. */
  private static final List<String> AMOUNTS =
      List.of(
          "0.30000000000000004",
          "0.1234567",
          "1e-7",
          "1e300",
          "1e999999999",
          "-1",
          "1" + "0".repeat(149),
          "9".repeat(1001),
          "0",
          "-0.0",
          "0.000001",
          "1E-6",
          "1e2",
          "12.5",
          "999999999999.999999",
          "1000000000000",
          "\"1\"",
          "null",
          "[]",
          "{}",
          "true");

  /** Amounts a worker may well report: usage.cost of a complete call. */
  static final List<String> VALID_COSTS =
      List.of("0", "0.000001", "1", "12.5", "999999999999.999999");

  private static final List<String> NOT_JSON =
      List.of(
          "NaN",
          "Infinity",
          "-Infinity",
          "01",
          ".5",
          "+1",
          "0x10",
          "undefined",
          "'x'",
          "\"raw\u0000nul\"",
          "\"raw\nnewline\"",
          "\"unterminated",
          "tru");

  private static final List<String> GARBAGE =
      List.of(
          "",
          " ",
          "null",
          "[]",
          "[{}]",
          "\"text\"",
          "42",
          "true",
          "{",
          "}",
          "{\"a\":}",
          "{'a':1}",
          "{\"a\":1,}",
          "[1,2",
          "nul",
          "{}",
          "{\"\":1}",
          "\u0000",
          "{\"a\":1}{\"b\":2}",
          "/* c */{}",
          "[".repeat(200),
          nestedArrays(150).text(),
          nestedArrays(5000).text(),
          nestedObjects(101).text());

  private static final List<String> CONTENT_TYPES =
      List.of(
          "application/json; charset=utf-8",
          "application/json;charset=UTF-16",
          "text/plain",
          "application/x-www-form-urlencoded",
          "application/xml",
          "multipart/form-data; boundary=x",
          "application/merge-patch+json",
          "*/*",
          "garbage",
          "application/json; charset=nonsense",
          "");

  private static final List<String> HEADER_VALUES =
      List.of(
          " ",
          "\u0001",
          "ws\u0000a",
          "ws\u007f",
          "\t",
          "x".repeat(300),
          "ws-a, ws-b",
          "ωs",
          "ws-c");

  /** Who a body's "from" claims to be: never who acts (that is the token's subject). */
  private static final List<String> FROMS =
      List.of("operator", WS_B, "mallory", "ws-a:phone:fuzz-phone", "");

  private static final List<String> PHASES =
      List.of(
          "pending",
          "awaiting_approval",
          "queued",
          "offered",
          "running",
          "retrying",
          "split",
          "succeeded",
          "failed",
          "escalated",
          "stood_down",
          "cancelled",
          "bogus",
          "QUEUED",
          "",
          "%00");

  private static final List<String> ACTIONS =
      List.of("retry", "reassign", "raise_budget", "cancel", "accept_failure", "confirm_recovery");

  private static final List<String> KINDS =
      List.of(
          "hosted_worker",
          "external_agent",
          "connected_runtime",
          "fleet_worker",
          "reviewer",
          "arbiter");

  private final Random random;
  private final ObjectMapper json = new ObjectMapper();
  private final Map<String, String> missions = new LinkedHashMap<>();
  private final Map<String, String> participants = new LinkedHashMap<>();
  private final Map<String, Integer> attempts = new LinkedHashMap<>();
  private final Set<String> escalations = new LinkedHashSet<>();
  private final List<Message> messages = new ArrayList<>();
  private final Set<String> scopes = new LinkedHashSet<>(List.of(WS_A, WS_B, "mission:m-1"));
  private final List<Minted> minted = new ArrayList<>();
  private final Set<String> jtis = new LinkedHashSet<>();
  private final Set<String> subjects = new LinkedHashSet<>();
  private final Map<String, String> devices = new LinkedHashMap<>();
  private final Set<String> kids = new LinkedHashSet<>();

  /**
   * Subjects no request may revoke: the operator's and the workspaces' tokens ({@link TestAuth})
   * carry every valid request of the run.
   */
  static final Set<String> RESERVED_SUBJECTS = Set.of("operator", WS_A, WS_B);

  /** A token the node handed out (minted, or a participant's credential), and what it may do. */
  record Minted(String jti, String subject, String token, boolean managesKeys) {}

  RequestGenerator(Random random) {
    this.random = random;
  }

  // What the node created

  /** Mission ids the node answered with, and their workspaces. */
  Map<String, String> missions() {
    return missions;
  }

  /** Participant ids the node answered with, and their workspaces. */
  Map<String, String> participants() {
    return participants;
  }

  /**
   * Remembers the mission or participant a 2xx JSON answer is about, its attempts and escalations,
   * and the escalations a list shows. (Lists are in id order, and ids are random: what they show of
   * missions and participants is not learned, so that the requests follow the seed.)
   */
  void learn(RawHttp.Reply reply) {
    if (reply.status() >= 300 || !reply.contentType().startsWith("application/json")) {
      return;
    }
    JsonNode body;
    try {
      body = json.readTree(reply.body());
    } catch (IOException notJson) {
      return;
    }
    learnOne(body);
    learnIdentity(body);
    body.path("escalations").forEach(this::learnOne);
    for (JsonNode attempt : body.path("attempts")) {
      attempts.merge(body.path("id").asText(), attempt.path("attempt").asInt(1), Math::max);
    }
  }

  /** Remembers the inbox messages of {@code participantId} a poll answered with. */
  void learnMessages(String participantId, JsonNode polled) {
    for (JsonNode message : polled.path("messages")) {
      messages.add(new Message(participantId, message.path("message_id").asText()));
      attempts.merge(
          message.path("mission_id").asText(), message.path("attempt").asInt(1), Math::max);
    }
  }

  /**
   * Remembers the tokens (minted, or a registration's credential), token ids, subjects, devices and
   * keys an answer shows, for later requests to use and revoke.
   */
  private void learnIdentity(JsonNode body) {
    JsonNode credential = body.path("credential");
    if (credential.path("token").isTextual() && body.path("id").isTextual()) {
      remember(credential, body.get("id").asText(), false);
    } else if (body.path("token").isTextual() && body.path("subject").isTextual()) {
      boolean keys = false;
      for (JsonNode scope : body.path("scopes")) {
        keys |= scope.asText().equals("keys:manage");
      }
      remember(body, body.get("subject").asText(), keys);
    }
    for (JsonNode token : body.path("tokens")) {
      jtis.add(token.path("jti").asText("t-none"));
      subjects.add(token.path("subject").asText("s-none"));
    }
    for (JsonNode device : body.path("devices")) {
      devices.put(device.path("device_id").asText("d-none"), device.path("workspace").asText());
    }
    if (body.path("device_id").isTextual()) {
      devices.put(body.get("device_id").asText(), body.path("workspace").asText());
    }
    for (JsonNode key : body.path("keys")) {
      kids.add(key.path("kid").asText("k-none"));
    }
  }

  private void remember(JsonNode token, String subject, boolean managesKeys) {
    String jti = token.path("jti").asText("t-none");
    minted.add(new Minted(jti, subject, token.get("token").asText(), managesKeys));
    jtis.add(jti);
    subjects.add(subject);
  }

  private void learnOne(JsonNode item) {
    String id = item.path("id").asText("");
    String workspace = item.path("workspace").asText("");
    if (id.isEmpty() || workspace.isEmpty()) {
      return;
    }
    if (item.has("kind")) {
      participants.put(id, workspace);
    } else if (item.has("mission_id")) {
      escalations.add(id);
    } else if (item.has("title")) {
      missions.put(id, workspace);
      item.path("escalations").forEach(e -> escalations.add(e.path("id").asText()));
      item.path("children").forEach(c -> missions.putIfAbsent(c.asText(), workspace));
    }
  }

  // Requests

  /** A random request to a random route, mostly with the route's own method. */
  Request next() {
    Route route = pick(List.of(Route.values()));
    String method =
        random.nextInt(4) == 0
            ? pick(List.of("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
            : route.method;
    return request(route, method);
  }

  /** A random request to {@code route} with {@code method}. */
  Request request(Route route, String method) {
    return request(route, method, path(route) + query(route));
  }

  /** A random request to {@code route} with {@code method} at {@code target}. */
  Request request(Route route, String method, String target) {
    byte[] body = body(route);
    List<Header> headers = new ArrayList<>();
    Credential credential = credential(route, target, headers);
    headers.addAll(headers(route, body));
    return new Request(route, method, target, credential, headers, body);
  }

  /** A request a well-behaved client sends: its route's method, a valid body, plain headers. */
  Request valid(Route route, String target, Obj body) {
    List<Header> headers = new ArrayList<>();
    if (body != null) {
      headers.add(new Header("Content-Type", "application/json"));
    }
    return new Request(
        route,
        route.method,
        target,
        AS_OPERATOR,
        headers,
        body == null ? null : body.text().getBytes(UTF_8));
  }

  // Paths

  private String path(Route route) {
    return switch (route) {
      case SUBMIT, LIST_MISSIONS -> "/api/v1/missions" + (random.nextInt(5) == 0 ? "/" : "");
      case GET_MISSION -> "/api/v1/missions/" + missionSegment();
      case HISTORY -> "/api/v1/missions/" + missionSegment() + "/history";
      case CANCEL -> "/api/v1/missions/" + missionSegment() + "/cancel";
      case APPROVAL -> "/api/v1/missions/" + missionSegment() + "/approval";
      case ATTEMPT_HEARTBEAT -> attemptPath("heartbeat");
      case COMPLETE -> attemptPath("complete");
      case FAIL -> attemptPath("fail");
      case DECLINE -> attemptPath("decline");
      case HANDOFF -> attemptPath("handoff");
      case LIST_ESCALATIONS -> "/api/v1/escalations" + (random.nextInt(5) == 0 ? "/" : "");
      case RESOLVE -> "/api/v1/escalations/" + escalationSegment() + "/resolve";
      case REGISTER, LIST_PARTICIPANTS ->
          "/api/v1/participants" + (random.nextInt(5) == 0 ? "/" : "");
      case GET_PARTICIPANT, UPDATE_PARTICIPANT -> "/api/v1/participants/" + participantSegment();
      case PARTICIPANT_HEARTBEAT -> "/api/v1/participants/" + participantSegment() + "/heartbeat";
      case DRAIN -> "/api/v1/participants/" + participantSegment() + "/drain";
      case STAND_DOWN -> "/api/v1/participants/" + participantSegment() + "/stand-down";
      case INBOX -> "/api/v1/participants/" + participantSegment() + "/inbox";
      case INBOX_STREAM -> "/api/v1/participants/" + participantSegment() + "/inbox/stream";
      case ACK -> ackPath();
      case BACKLOG -> "/api/v1/backlog";
      case SET_LIMIT, GET_BUDGET -> "/api/v1/budgets/" + scopeSegment();
      case ME -> "/api/v1/me" + (random.nextInt(5) == 0 ? "/" : "");
      case MINT, LIST_TOKENS -> "/api/v1/tokens" + (random.nextInt(5) == 0 ? "/" : "");
      case REVOKE_TOKEN -> "/api/v1/tokens/" + jtiSegment();
      case REVOKE_SUBJECT -> "/api/v1/subjects/" + subjectSegment() + "/tokens";
      case REGISTER_DEVICE, LIST_DEVICES -> "/api/v1/devices" + (random.nextInt(5) == 0 ? "/" : "");
      case LIST_KEYS -> "/api/v1/keys" + (random.nextInt(5) == 0 ? "/" : "");
      case KEYS_ROTATE -> "/api/v1/keys/rotate" + (random.nextInt(5) == 0 ? "/" : "");
      case KEY_RETIRE -> "/api/v1/keys/" + kidSegment() + "/retire";
      case AUDIT -> "/api/v1/audit" + (random.nextInt(5) == 0 ? "/" : "");
      case ALIVE -> "/health/alive";
      case READY -> "/health/ready";
      case NO_SUCH_PATH -> noSuchPath();
    };
  }

  private String jtiSegment() {
    return known(jtis).filter(id -> random.nextInt(10) < 6).orElseGet(() -> weirdSegment("t"));
  }

  /** A subject whose tokens may be revoked: never one of {@link #RESERVED_SUBJECTS}. */
  private String subjectSegment() {
    List<String> revocable = subjects.stream().filter(s -> !RESERVED_SUBJECTS.contains(s)).toList();
    if (!revocable.isEmpty() && random.nextInt(10) < 5) {
      return URLEncoder.encode(pick(revocable), UTF_8);
    }
    return pick(
        List.of(
            "fuzz-session",
            "ws-a:phone:fuzz-phone",
            "someone@example.test",
            known(participants.keySet()).orElse("p-1"),
            weirdSegment("s")));
  }

  /** A key of the shared key set (which only tokens without keys:manage send), or none. */
  private String kidSegment() {
    return random.nextInt(2) == 0 ? pick(realKids()) : weirdSegment("k");
  }

  /** The kids of the shared key set: the one this JVM signs with, and those the node listed. */
  private Set<String> realKids() {
    Set<String> real = new LinkedHashSet<>(kids);
    real.add(TestAuth.tokens().keys().signingKey().orElseThrow().getKeyID());
    return real;
  }

  private String attemptPath(String action) {
    Optional<String> known = known(missions.keySet());
    String attempt =
        random.nextInt(10) < 7
            ? Integer.toString(known.map(id -> attempts.getOrDefault(id, 1)).orElse(1))
            : pick(
                List.of(
                    "0",
                    "-1",
                    "2",
                    "99",
                    "2147483647",
                    "2147483648",
                    "99999999999999999999",
                    "abc",
                    "1.0",
                    "%31",
                    "",
                    "1%00"));
    String mission = known.filter(id -> random.nextInt(10) < 8).orElseGet(() -> weirdSegment("m"));
    return "/api/v1/missions/" + mission + "/attempts/" + attempt + "/" + action;
  }

  private String ackPath() {
    if (!messages.isEmpty() && random.nextInt(10) < 6) {
      Message message = pick(messages);
      String participant = random.nextInt(10) < 8 ? message.participantId() : participantSegment();
      return "/api/v1/participants/" + participant + "/inbox/" + message.messageId() + "/ack";
    }
    return "/api/v1/participants/"
        + participantSegment()
        + "/inbox/"
        + weirdSegment("msg")
        + "/ack";
  }

  private String noSuchPath() {
    String m = missionSegment();
    String p = participantSegment();
    return pick(
        List.of(
            "/",
            "/api",
            "/api/v1",
            "/api/v1/",
            "/api/v2/missions",
            "/api/v1/nope",
            "/api/v1/missions/" + m + "/nope",
            "/api/v1/missions/" + m + "/attempts",
            "/api/v1/missions/" + m + "/attempts/1",
            "/api/v1/missions/" + m + "/attempts/1/nope",
            "/api/v1/missions/" + m + "/history/x",
            "/api/v1/participants/" + p + "/inbox/x",
            "/api/v1/participants/" + p + "/nope",
            "/api/v1/escalations/" + escalationSegment(),
            "/api/v1/budgets",
            "/api/v1/budgets/a/b",
            "/api/v1/backlog/ws-a",
            "/api/v1/me/x",
            "/api/v1/tokens/t-1/x",
            "/api/v1/subjects",
            "/api/v1/subjects/x",
            "/api/v1/subjects/x/tokens/y",
            "/api/v1/devices/d-1",
            "/api/v1/audit/x",
            "/health",
            "/health/nope",
            "//api/v1/missions",
            "/API/V1/MISSIONS",
            "/api/v1/missions#fragment",
            "*",
            "/" + "x".repeat(3000)));
  }

  private String missionSegment() {
    return known(missions.keySet())
        .filter(id -> random.nextInt(10) < 7)
        .orElseGet(() -> weirdSegment("m"));
  }

  private String participantSegment() {
    return known(participants.keySet())
        .filter(id -> random.nextInt(10) < 7)
        .orElseGet(() -> weirdSegment("p"));
  }

  private String escalationSegment() {
    if (!escalations.isEmpty() && random.nextInt(10) < 6) {
      return pick(escalations);
    }
    String mission = known(missions.keySet()).orElse("m-unknown");
    return pick(
        List.of(
            mission + ".e1",
            mission + ".e99",
            mission + ".e",
            mission + ".e-1",
            ".e1",
            "nonsense",
            weirdSegment("e"),
            weirdSegment("m") + ".e1"));
  }

  private String scopeSegment() {
    if (random.nextInt(10) < 6) {
      return pick(scopes);
    }
    return pick(
        List.of(
            "-x",
            "a".repeat(200),
            "a".repeat(201),
            "a%20b",
            "a%00",
            "ws-a%0A",
            "mission:" + known(missions.keySet()).orElse("m-1"),
            "participant:" + known(participants.keySet()).orElse("p-1"),
            "%C3%A9",
            weirdSegment("s")));
  }

  /** A path segment of no object: unknown, too long, encoded control characters, bad escapes. */
  private String weirdSegment(String prefix) {
    return pick(
        List.of(
            prefix + "-unknown",
            "%00",
            "%0A",
            prefix + "-1%00",
            prefix + "%0D%0Ax",
            "%7F",
            "%C2%85",
            "x".repeat(300),
            prefix + "-" + "y".repeat(198),
            "z".repeat(201),
            "%C3%28",
            "%ED%A0%80",
            "%F0%9F%98%80",
            "%2F",
            "..",
            "%2E%2E",
            "a%20b",
            "%25",
            "%ZZ",
            "",
            prefix + "-1;x=1",
            "é",
            otherWorkspaceId()));
  }

  /** An id that exists: of either workspace, whatever the request's header says. */
  private String otherWorkspaceId() {
    return known(missions.keySet()).orElse("m-none");
  }

  // Query parameters

  private String query(Route route) {
    List<String> params = new ArrayList<>();
    switch (route) {
      case LIST_MISSIONS -> {
        maybe(params, "workspace", this::workspaceParam);
        maybe(params, "state", () -> pick(PHASES));
        maybe(params, "parent", this::missionSegment);
        maybe(params, "participant", this::participantSegment);
        maybe(params, "spec", () -> pick(List.of("spec-1", "", "%00")));
        maybe(params, "cursor", this::cursorParam);
        maybe(params, "limit", this::limitParam);
      }
      case LIST_ESCALATIONS -> {
        maybe(params, "workspace", this::workspaceParam);
        maybe(params, "state", () -> pick(List.of("open", "resolved", "all", "bogus", "", "ALL")));
        maybe(params, "cursor", this::cursorParam);
        maybe(params, "limit", this::limitParam);
      }
      case LIST_PARTICIPANTS -> {
        maybe(params, "workspace", this::workspaceParam);
        maybe(params, "role", () -> pick(List.of("worker", "", "%00", "x".repeat(300))));
        maybe(params, "capability", () -> pick(List.of("x", "y", "nobody", "", "%0A")));
        maybe(
            params,
            "status",
            () -> pick(List.of("active", "draining", "offline", "stood_down", "ACTIVE", "bogus")));
        maybe(params, "cursor", this::cursorParam);
        maybe(params, "limit", this::limitParam);
      }
      case BACKLOG -> {
        if (random.nextInt(10) < 8) {
          params.add("workspace=" + workspaceParam());
        }
        maybe(params, "cursor", this::cursorParam);
        maybe(params, "limit", this::limitParam);
      }
      case LIST_TOKENS -> {
        maybe(params, "workspace", this::workspaceParam);
        maybe(params, "subject", this::subjectParam);
        maybe(params, "cursor", this::cursorParam);
        maybe(params, "limit", this::limitParam);
      }
      case LIST_DEVICES -> maybe(params, "workspace", this::workspaceParam);
      case AUDIT -> {
        maybe(params, "workspace", this::workspaceParam);
        maybe(params, "subject", this::subjectParam);
        maybe(params, "since", this::sinceParam);
        maybe(params, "cursor", () -> random.nextBoolean() ? cursorParam() : auditCursor());
        maybe(params, "limit", this::limitParam);
      }
      case INBOX -> {
        maybe(
            params,
            "wait",
            () ->
                pick(
                    List.of(
                        "-1s",
                        "0",
                        "0s",
                        "10ms",
                        "100ms",
                        "61s",
                        "60001ms",
                        "2m",
                        "abc",
                        "1h",
                        "9999999999s",
                        "",
                        "%00",
                        "-0",
                        "1.5s")));
        maybe(
            params,
            "max",
            () -> pick(List.of("1", "10", "0", "-1", "abc", "101", "99999999999", "")));
      }
      default -> {}
    }
    if (random.nextInt(10) == 0) {
      params.add(
          pick(
              List.of(
                  "foo=bar",
                  "limit=1&limit=2",
                  "=x",
                  "&&",
                  "%00=%00",
                  "a",
                  "workspace=ws-a&workspace=ws-b",
                  "cursor=AAAA",
                  "cursor=!!!",
                  "limit=0",
                  "limit=-1",
                  "limit=99999",
                  "wait=-1s",
                  "state=bogus",
                  "x=" + "q".repeat(3000))));
    }
    return params.isEmpty() ? "" : "?" + String.join("&", params);
  }

  private void maybe(List<String> params, String name, java.util.function.Supplier<String> value) {
    if (random.nextInt(3) == 0) {
      params.add(name + "=" + value.get());
    }
  }

  private String workspaceParam() {
    return pick(List.of(WS_A, WS_B, WS_A, WS_B, "ws-c", "", "%00", "%0A", "x".repeat(300), "%20"));
  }

  private String subjectParam() {
    return pick(
        List.of(
            "operator",
            WS_A,
            known(subjects).map(s -> URLEncoder.encode(s, UTF_8)).orElse("fuzz-session"),
            "ws-a%3Aphone%3Afuzz-phone",
            "",
            "%00",
            "%0A",
            "x".repeat(300)));
  }

  private String sinceParam() {
    return pick(
        List.of(
            "2026-11-30T12:00:00Z",
            "2000-01-01T00:00:00Z",
            "2026-11-30T12:00:00%2B01:00",
            "2026-11-30T12:00:00+01:00",
            "2026-11-30T12:00:00.123456789Z",
            "2026-11-30",
            "yesterday",
            "%2B999999999-12-31T23:59:59Z",
            "-999999999-01-01T00:00:00Z",
            "2026-13-40T00:00:00Z",
            "1e10",
            "",
            "%00",
            "x".repeat(300)));
  }

  /** A cursor of the audit log's form (a journal offset), right and wrong. */
  private String auditCursor() {
    String offset =
        pick(
            List.of(
                "0", "1", "5", "-1", "9223372036854775807", "99999999999999999999", "1.5", "x"));
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(("after:" + offset).getBytes(UTF_8));
  }

  private String cursorParam() {
    Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
    return pick(
        List.of(
            "AAAA",
            "!!!",
            "",
            "%00",
            base64.encodeToString(
                ("after:" + known(missions.keySet()).orElse("m")).getBytes(UTF_8)),
            base64.encodeToString(
                ("after:" + known(participants.keySet()).orElse("p")).getBytes(UTF_8)),
            base64.encodeToString("after:".getBytes(UTF_8)),
            base64.encodeToString("after:\u0000".getBytes(UTF_8)),
            base64.encodeToString(new byte[] {'a', 'f', 't', 'e', 'r', ':', (byte) 0xff}),
            "YWZ0ZXI6",
            "=",
            "c".repeat(1500)));
  }

  private String limitParam() {
    return pick(
        List.of(
            "0",
            "-1",
            "1",
            "2",
            "5",
            "99999",
            "500",
            "501",
            "abc",
            "",
            "1.5",
            "2147483648",
            "-2147483649",
            "%00",
            "%201"));
  }

  // Headers

  private List<Header> headers(Route route, byte[] body) {
    List<Header> headers = new ArrayList<>();
    if (body != null || random.nextInt(20) == 0) {
      int roll = random.nextInt(10);
      if (roll < 8) {
        headers.add(new Header("Content-Type", "application/json"));
      } else if (roll < 9) {
        headers.add(new Header("Content-Type", pick(CONTENT_TYPES)));
      }
    }
    if ((route == Route.SUBMIT || route == Route.REGISTER) && random.nextInt(5) == 0) {
      headers.add(
          new Header(
              "Idempotency-Key", pick(List.of("key-1", "key-2", " ", "k\u0001", "k".repeat(201)))));
    }
    if (route == Route.INBOX_STREAM && random.nextInt(2) == 0) {
      headers.add(
          new Header(
              "Last-Event-ID", pick(List.of("0", "5", "abc", "-1", "99999999999999999999", " "))));
    }
    if (random.nextInt(20) == 0) {
      headers.add(
          new Header(
              "Accept", pick(List.of("text/html", "application/xml", "*/*", "text/event-stream"))));
    }
    return headers;
  }

  // Credentials

  /**
   * The credential of a request, its Authorization header added to {@code headers}: mostly the
   * operator's (no header: RawHttp's default) or a workspace's; sometimes a valid token of another
   * kind or with fewer scopes, a forged token, or no bearer token at all. Where the shared key set
   * is at stake (a rotation, the retirement of a real key) never a token with keys:manage, and a
   * real key's retirement never with a forged one either (see {@link Route#KEYS_ROTATE}).
   */
  private Credential credential(Route route, String target, List<Header> headers) {
    boolean retiresRealKey =
        route == Route.KEY_RETIRE && realKids().stream().anyMatch(target::contains);
    boolean keysAtStake = route == Route.KEYS_ROTATE || retiresRealKey;
    int roll = random.nextInt(20);
    if ((keysAtStake && roll >= 11) || (retiresRealKey && roll == 10)) {
      roll = random.nextInt(10);
    }
    if (roll < 6) {
      String ws = pick(WORKSPACES);
      headers.add(new Header("Authorization", TestAuth.bearer(TestAuth.workspace(ws))));
      return new Credential(Credential.Kind.WORKSPACE, "the workspace token of " + ws);
    }
    if (roll < 7) {
      String value = pick(HEADER_VALUES);
      headers.add(new Header("Authorization", "Bearer " + value));
      return new Credential(Credential.Kind.GARBAGE, "'Bearer " + value + "'");
    }
    if (roll < 8) {
      String value = pick(HEADER_VALUES);
      headers.add(new Header("Authorization", value));
      return new Credential(Credential.Kind.GARBAGE, "'" + value + "'");
    }
    if (roll < 10) {
      return otherKind(keysAtStake, headers);
    }
    if (roll < 11) {
      ForgedTokens.Forged forged = pick(ForgedTokens.all());
      headers.add(new Header("Authorization", TestAuth.bearer(forged.token())));
      return new Credential(Credential.Kind.FORGED, "a forged token: " + forged.why());
    }
    return AS_OPERATOR;
  }

  /**
   * A valid token of another kind, or with fewer scopes, minted now (so that a revocation of its
   * subject earlier in the run does not cover it): a participant's, a device's, a session's, a
   * reading operator's, a workspace's that only reads; or one the node handed out.
   */
  private Credential otherKind(boolean withoutKeys, List<Header> headers) {
    String ws = pick(WORKSPACES);
    List<Minted> handedOut =
        minted.stream().filter(m -> !(withoutKeys && m.managesKeys())).toList();
    String token;
    String about;
    switch (random.nextInt(handedOut.isEmpty() ? 5 : 7)) {
      case 0 -> {
        String id = known(participants.keySet()).orElse("p-fuzz");
        String home = participants.getOrDefault(id, ws);
        token = TestAuth.mint(TokenKind.PARTICIPANT, id, Optional.of(home), Set.of(Scope.WORK));
        about = "the participant token of " + id + " (" + home + ")";
      }
      case 1 -> {
        String device = known(devices.keySet()).orElse("fuzz-phone");
        String home = devices.getOrDefault(device, ws);
        String subject = home + ":phone:" + device;
        token =
            TestAuth.mint(TokenKind.DEVICE, subject, Optional.of(home), TokenKind.DEVICE.allowed());
        about = "the device token of " + subject;
      }
      case 2 -> {
        token =
            TestAuth.mint(
                TokenKind.SESSION, "fuzz-session", Optional.of(ws), TokenKind.SESSION.allowed());
        about = "a session token of " + ws;
      }
      case 3 -> {
        token =
            TestAuth.mint(
                TokenKind.OPERATOR,
                "fuzz-reader",
                Optional.empty(),
                Set.of(Scope.MISSIONS_READ, Scope.PARTICIPANTS_READ, Scope.AUDIT_READ));
        about = "an operator token that only reads";
      }
      case 4 -> {
        token =
            TestAuth.mint(TokenKind.WORKSPACE, ws, Optional.of(ws), Set.of(Scope.MISSIONS_READ));
        about = "a workspace token of " + ws + " that only reads missions";
      }
      default -> {
        Minted handed = pick(handedOut);
        token = handed.token();
        about = "a token the node handed out to " + handed.subject() + " (" + handed.jti() + ")";
      }
    }
    headers.add(new Header("Authorization", TestAuth.bearer(token)));
    return new Credential(Credential.Kind.OTHER_KIND, about);
  }

  // Bodies

  private byte[] body(Route route) {
    Optional<Obj> valid = validBody(route);
    if (valid.isEmpty()) {
      return random.nextInt(10) < 7 ? null : utf8(pick(GARBAGE));
    }
    Obj body = valid.get();
    int roll = random.nextInt(100);
    if (roll < 22) {
      return utf8(body.text());
    }
    if (roll < 45) {
      Slot slot = pick(slots(body));
      boolean text = slot.value().text().startsWith("\"");
      slot.set(text && random.nextInt(10) < 7 ? str(pick(STRINGS)) : weirdValue());
      return utf8(body.text());
    }
    if (roll < 53) {
      amounts(route, body).forEach(slot -> slot.set(raw(pick(AMOUNTS))));
      return utf8(body.text());
    }
    if (roll < 55) {
      body.with("unknown_field", weirdValue());
      return utf8(body.text());
    }
    if (roll < 57) {
      // The token subject is the only identity: a "from" names nobody.
      body.with("from", str(pick(FROMS)));
      return utf8(body.text());
    }
    if (roll < 61) {
      body.members().remove(random.nextInt(body.members().size()));
      return utf8(body.text());
    }
    if (roll < 66) {
      Member first = body.members().get(0);
      String repeated = JsonText.quote(first.name()) + ":" + weirdValue().text() + ",";
      return utf8("{" + repeated + body.text().substring(1));
    }
    if (roll < 71) {
      String text = body.text();
      return utf8(text.substring(0, random.nextInt(text.length())));
    }
    if (roll < 75) {
      return utf8(body.text() + pick(List.of(" {}", "x", "]", "\u0000", "\n\n{}", ",")));
    }
    if (roll < 84) {
      return utf8(pick(GARBAGE));
    }
    if (roll < 90) {
      return encodingTrouble(body.text());
    }
    if (roll < 97) {
      JsonText deep =
          pick(
              List.of(
                  nestedArrays(98),
                  nestedArrays(99),
                  nestedArrays(100),
                  nestedArrays(101),
                  nestedArrays(150),
                  nestedObjects(101),
                  arr(nestedArrays(120))));
      freeForm(body).orElseGet(() -> pick(slots(body))).set(deep);
      return utf8(body.text());
    }
    // Beyond muster.http.max-body-size (1 MiB).
    body.with("padding", str("p".repeat(1_100_000)));
    return utf8(body.text());
  }

  private byte[] encodingTrouble(String text) {
    return switch (random.nextInt(5)) {
      case 0 -> new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xc3, 0x28, '"', '}'};
      case 1 -> utf8("\ufeff" + text);
      case 2 -> text.getBytes(UTF_16);
      case 3 -> utf8(text.replaceFirst("\":\"", "\":\"\u0001raw"));
      default -> utf8(text.replace("\"", "\"\u0000"));
    };
  }

  private JsonText weirdValue() {
    return switch (random.nextInt(8)) {
      case 0, 1, 2 -> str(pick(STRINGS));
      case 3 -> raw(pick(NUMBERS));
      case 4 -> raw(pick(NOT_JSON));
      case 5 ->
          pick(
              List.of(
                  raw("null"),
                  raw("true"),
                  raw("false"),
                  raw("[]"),
                  raw("{}"),
                  raw("[1,\"a\",null]"),
                  raw("{\"a\":[]}"),
                  strings("x", "\u0000"),
                  strings(STRINGS.toArray(String[]::new))));
      case 6 -> pick(List.of(nestedArrays(101), nestedArrays(150), nestedObjects(101)));
      default -> raw(pick(AMOUNTS));
    };
  }

  private Optional<Obj> validBody(Route route) {
    String ws = pick(WORKSPACES);
    return Optional.ofNullable(
        switch (route) {
          case SUBMIT -> submission(ws);
          case CANCEL, DECLINE, STAND_DOWN -> obj().with("reason", "r-" + word());
          case APPROVAL ->
              obj().with("granted", raw(Boolean.toString(random.nextBoolean()))).with("note", "n");
          case ATTEMPT_HEARTBEAT -> obj().with("progress", raw("0.5")).with("usage", cost("1"));
          case COMPLETE -> completion(pick(VALID_COSTS));
          case FAIL ->
              obj()
                  .with("reason", "r-" + word())
                  .with("retryable", raw(Boolean.toString(random.nextBoolean())))
                  .with("error_kind", "k")
                  .with("cleanup_status", pick(List.of("clean", "partial", "needs_recovery")))
                  .with("recovery_action", "look")
                  .with("usage", cost("0.5"));
          case HANDOFF ->
              obj()
                  .with("target_role", "worker")
                  .with("target_capabilities", strings("x"))
                  .with("target_participant_id", known(participants.keySet()).orElse("p-1"))
                  .with("note", "n");
          case RESOLVE ->
              obj()
                  .with("action", pick(ACTIONS))
                  .with("participant_id", known(participants.keySet()).orElse("p-1"))
                  .with("note", "n");
          case REGISTER -> registration(ws, pick(List.of("x", "y")));
          case UPDATE_PARTICIPANT -> update();
          case SET_LIMIT -> limit(pick(List.of("100", "1000000", "12.5")));
          case MINT -> mint(ws);
          case REGISTER_DEVICE -> device(ws);
          default -> null;
        });
  }

  /** A valid submission to {@code ws}, with a random selection of the optional parts. */
  Obj submission(String ws) {
    Obj body =
        obj()
            .with("workspace", ws)
            .with("title", "t-" + word())
            .with("required_capabilities", strings(pick(List.of("x", "x", "y", "nobody"))));
    optionally(b -> b.with("input", obj().with("n", random.nextInt(100)).with("s", "hello")), body);
    optionally(b -> b.with("priority", random.nextInt(21) - 10), body);
    optionally(
        b ->
            b.with(
                "retry_policy",
                obj()
                    .with("max_attempts", 2)
                    .with("initial_backoff_ms", 100)
                    .with("multiplier", raw("2.0"))
                    .with("max_backoff_ms", 1000)
                    .with("retryable_error_kinds", strings("k"))),
        body);
    optionally(
        b ->
            b.with(
                "timeouts",
                obj()
                    .with("schedule_to_start_ms", pick(List.of(300L, 60_000L)))
                    .with("start_to_close_ms", 60_000)
                    .with("heartbeat_ms", 30_000)),
        body);
    optionally(b -> b.with("budget", obj().with("scope", ws).with("estimate", raw("1"))), body);
    optionally(
        b ->
            b.with(
                "approval_policy",
                obj().with("required", raw(Boolean.toString(random.nextBoolean())))),
        body);
    optionally(
        b -> b.with("spec", obj().with("spec_id", "spec-1").with("spec_version", "1")), body);
    optionally(b -> b.with("required_roles", strings("worker")), body);
    optionally(
        b ->
            b.with(
                "split",
                obj()
                    .with("join", pick(List.of("all", "first", "quorum:1")))
                    .with(
                        "children",
                        arr(
                            obj().with("title", "c1").with("required_capabilities", strings("x")),
                            obj()
                                .with("title", "c2")
                                .with("required_capabilities", strings("y"))
                                .with("input", obj().with("k", 1))))),
        body);
    return body;
  }

  /**
   * A valid {@code POST /api/v1/tokens} for the operator: any kind, of a participant or device that
   * exists where the kind needs one, with some of its scopes and a ttl now and then.
   */
  Obj mint(String ws) {
    TokenKind kind = pick(List.of(TokenKind.values()));
    Obj body = obj().with("kind", kind.wire());
    switch (kind) {
      case OPERATOR -> body.with("subject", "fuzz-op-" + word());
      case WORKSPACE -> body.with("workspace", ws);
      case DEVICE -> {
        String device = known(devices.keySet()).orElse("fuzz-phone");
        body.with("workspace", devices.getOrDefault(device, ws)).with("device_id", device);
      }
      case PARTICIPANT -> {
        String id = known(participants.keySet()).orElse("p-1");
        body.with("workspace", participants.getOrDefault(id, ws)).with("subject", id);
      }
      case SESSION -> body.with("workspace", ws).with("subject", "fuzz-session-" + word());
    }
    optionally(
        b -> {
          Arr scopes = arr();
          for (Scope scope : Scope.values()) {
            if (kind.allowed().contains(scope) && random.nextBoolean()) {
              scopes.items().add(str(scope.wire()));
            }
          }
          b.with("scopes", scopes);
        },
        body);
    optionally(b -> b.with("ttl", pick(List.of(str("1h"), raw("3600"), str("2d")))), body);
    return body;
  }

  /** A valid {@code POST /api/v1/devices}: a new phone of {@code ws}. */
  Obj device(String ws) {
    return obj()
        .with("workspace", ws)
        .with("device_id", "phone-" + word())
        .with("name", "Phone " + word());
  }

  /** A valid registration in {@code ws} with {@code capability} and the optional parts. */
  Obj registration(String ws, String capability) {
    Obj body =
        obj()
            .with("workspace", ws)
            .with("capabilities", strings(capability))
            .with("roles", strings("worker"))
            .with("max_concurrent_attempts", 5);
    optionally(b -> b.with("kind", pick(KINDS)), body);
    optionally(b -> b.with("grants", strings("g")), body);
    optionally(
        b ->
            b.with(
                "boundaries",
                obj()
                    .with("max_concurrent_attempts", 5)
                    .with("budget_scope", ws)
                    .with("trust_zone", "tz")),
        body);
    optionally(
        b -> b.with("escalation", obj().with("escalate_to", "p-lead").with("after_attempts", 1)),
        body);
    optionally(
        b ->
            b.with(
                "capability_manifest",
                obj()
                    .with("execution_mode", "sandbox")
                    .with("trust_zone", "tz")
                    .with("capabilities", strings(capability))),
        body);
    return body;
  }

  private Obj update() {
    Obj body = obj();
    while (body.members().isEmpty()) {
      optionally(b -> b.with("roles", strings("worker", "reviewer")), body);
      optionally(b -> b.with("capabilities", strings("x", "y")), body);
      optionally(b -> b.with("max_concurrent_attempts", 3), body);
      optionally(b -> b.with("grants", strings("g")), body);
      optionally(b -> b.with("boundaries", obj().with("trust_zone", "tz")), body);
      optionally(b -> b.with("escalation", obj().with("escalate_to", "p-lead")), body);
      optionally(
          b -> b.with("capability_manifest", obj().with("capabilities", strings("x"))), body);
    }
    return body;
  }

  static Obj completion(String cost) {
    return obj().with("result", obj().with("ok", raw("true"))).with("usage", cost(cost));
  }

  static Obj limit(String amount) {
    return obj().with("limit", raw(amount));
  }

  private static Obj cost(String amount) {
    return obj().with("cost", raw(amount));
  }

  private void optionally(Consumer<Obj> part, Obj body) {
    if (random.nextInt(4) == 0) {
      part.accept(body);
    }
  }

  // Places in a body

  /** A place a value can be put: a member of an object or an item of an array. */
  private interface Slot {
    JsonText value();

    void set(JsonText value);

    String name();
  }

  /** Every member and item of {@code node}, at any depth. */
  private static List<Slot> slots(JsonText node) {
    List<Slot> slots = new ArrayList<>();
    if (node instanceof Obj o) {
      for (int i = 0; i < o.members().size(); i++) {
        int at = i;
        Member member = o.members().get(at);
        slots.add(
            new Slot() {
              @Override
              public JsonText value() {
                return o.members().get(at).value();
              }

              @Override
              public void set(JsonText value) {
                o.members().set(at, new Member(member.name(), value));
              }

              @Override
              public String name() {
                return member.name();
              }
            });
        slots.addAll(slots(member.value()));
      }
    } else if (node instanceof Arr a) {
      for (int i = 0; i < a.items().size(); i++) {
        int at = i;
        slots.add(
            new Slot() {
              @Override
              public JsonText value() {
                return a.items().get(at);
              }

              @Override
              public void set(JsonText value) {
                a.items().set(at, value);
              }

              @Override
              public String name() {
                return "[" + at + "]";
              }
            });
        slots.addAll(slots(a.items().get(at)));
      }
    }
    return slots;
  }

  /** The amount fields of a body (budget.estimate, usage.cost, limit), added when it has none. */
  private List<Slot> amounts(Route route, Obj body) {
    List<String> names = List.of("estimate", "cost", "limit");
    List<Slot> found = slots(body).stream().filter(s -> names.contains(s.name())).toList();
    if (!found.isEmpty()) {
      return found;
    }
    if (route == Route.SUBMIT) {
      body.with("budget", obj().with("scope", WS_A).with("estimate", raw("1")));
    } else {
      body.with("usage", cost("1"));
    }
    return amounts(route, body);
  }

  /** The free-form field of a body (input, result), when it has one or can. */
  private Optional<Slot> freeForm(Obj body) {
    Optional<Slot> found =
        slots(body).stream()
            .filter(s -> s.name().equals("input") || s.name().equals("result"))
            .findFirst();
    if (found.isPresent() || body.members().stream().noneMatch(m -> m.name().equals("title"))) {
      return found;
    }
    body.with("input", raw("null"));
    return freeForm(body);
  }

  // Choices

  <T> T pick(Collection<T> choices) {
    List<T> list = choices instanceof List<T> l ? l : List.copyOf(choices);
    return list.get(random.nextInt(list.size()));
  }

  private Optional<String> known(Collection<String> ids) {
    return ids.isEmpty() ? Optional.empty() : Optional.of(pick(ids));
  }

  private String word() {
    StringBuilder word = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      word.append((char) ('a' + random.nextInt(26)));
    }
    return word.toString();
  }

  private static byte[] utf8(String text) {
    return text.getBytes(UTF_8);
  }

  /** {@code text} with everything unprintable escaped, cut to {@code max} characters. */
  static String printable(String text, int max) {
    StringBuilder out = new StringBuilder();
    for (char c : text.toCharArray()) {
      if (out.length() >= max) {
        return out + "…(" + text.length() + " chars)";
      }
      out.append(
          c < 0x20 || (c >= 0x7f && c < 0xa0) || Character.isSurrogate(c)
              ? String.format("\\u%04x", (int) c)
              : String.valueOf(c));
    }
    return out.toString();
  }
}
