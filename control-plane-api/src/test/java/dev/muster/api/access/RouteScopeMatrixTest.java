package dev.muster.api.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.api.MusterApplication;
import dev.muster.api.TestAuth;
import dev.muster.api.TestNodes;
import dev.muster.api.access.AccessHttp.Credential;
import dev.muster.api.access.AccessHttp.Reply;
import dev.muster.api.identity.TokenKind;
import dev.muster.testing.Eventually;
import dev.muster.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link RouteTable#RULES} × {@link TokenKind#values()} on a real node: a token of each kind with
 * every scope its kind allows is refused 403 {@code scope_denied} exactly on the routes whose scope
 * the kind may not carry, and passes the access check everywhere else (whatever the route then
 * answers for dummy ids and empty bodies). A request the table has no row for is 404, the wrong
 * method 405 with {@code Allow}; and every row is served by a route (none answers the route tree's
 * own "no such resource", nor its 405).
 *
 * <p>The node verifies with a copy of the shared key set, since the operator's row {@code POST
 * /api/v1/keys/rotate} rotates the node's keys.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RouteScopeMatrixTest {
  private static final String WS = "ws-a";
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z]+)\\}");
  private static final Map<String, String> DUMMY =
      Map.of(
          "n", "1",
          "message", "msg-nope",
          "scope", "budget-nope",
          "jti", "t-nope",
          "subject", "subject-nope",
          "kid", "k-nope");

  private TestDatabase database;
  private MusterApplication node;
  private AccessHttp http;
  private String participantId;
  private final Map<TokenKind, Credential> credentials = new EnumMap<>(TokenKind.class);

  @BeforeAll
  void startNode(@TempDir Path dataDir) throws Exception {
    Path keys = dataDir.resolve("keys.json");
    TestAuth.tokens(); // the shared key set exists from here on
    Files.copy(TestAuth.keysFile(), keys);
    Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rw-------"));
    database = TestDatabase.h2(dataDir.resolve("db"));
    node =
        MusterApplication.start(
            TestNodes.restartable(database, Map.of("muster.auth.keys-file", keys.toString())));
    http = new AccessHttp(node.httpAddress());

    Credential operator = Credential.bearer("operator", TestAuth.operator());
    credentials.put(TokenKind.OPERATOR, operator);
    for (TokenKind kind : List.of(TokenKind.WORKSPACE, TokenKind.DEVICE, TokenKind.SESSION)) {
      String subject =
          switch (kind) {
            case WORKSPACE -> WS;
            case DEVICE -> WS + ":phone:matrix";
            default -> "session-matrix";
          };
      credentials.put(
          kind,
          Credential.bearer(
              kind.wire() + " token of " + WS + " (" + subject + ")",
              TestAuth.mint(kind, subject, Optional.of(WS), kind.allowed())));
    }
    Reply registered =
        http.post(
            operator,
            "/api/v1/participants",
            "{\"workspace\":\"" + WS + "\",\"capabilities\":[\"matrix\"],\"roles\":[\"worker\"]}");
    assertEquals(201, registered.status(), "registering the participant: " + registered);
    participantId = registered.body().path("id").asText();
    credentials.put(
        TokenKind.PARTICIPANT,
        Credential.bearer(
            "participant " + participantId + "'s credential",
            registered.body().path("credential").path("token").asText()));
    // Lists answer 503 until this node's read side has folded the journal.
    for (String list : List.of("/api/v1/missions", "/api/v1/participants", "/api/v1/escalations")) {
      Eventually.assertWithin(
          Duration.ofSeconds(30),
          () -> {
            Reply reply = http.get(operator, list);
            assertEquals(200, reply.status(), reply.toString());
          });
    }
  }

  @AfterAll
  void stopNode() throws Exception {
    node.close();
    database.close();
  }

  static Stream<Arguments> rulesByKind() {
    return RouteTable.RULES.stream()
        .flatMap(
            rule ->
                Arrays.stream(TokenKind.values())
                    .map(kind -> Arguments.of(named(rule), Named.of(kind.wire(), kind))));
  }

  /** The rule's template with dummy values; the participant's own id on its own routes. */
  private String path(RouteTable.Rule rule, TokenKind kind) {
    Matcher m = PLACEHOLDER.matcher(rule.template());
    StringBuilder path = new StringBuilder();
    while (m.find()) {
      String name = m.group(1);
      String value;
      if (name.equals("id")) {
        if (rule.template().startsWith("/api/v1/participants/")) {
          value = rule.own() && kind == TokenKind.PARTICIPANT ? participantId : "p-nope";
        } else if (rule.template().startsWith("/api/v1/escalations/")) {
          value = "m-nope.e1";
        } else {
          value = "m-nope";
        }
      } else {
        value = DUMMY.get(name);
        if (value == null) {
          throw new AssertionError("no dummy value for {" + name + "} in " + rule.template());
        }
      }
      m.appendReplacement(path, Matcher.quoteReplacement(value));
    }
    m.appendTail(path);
    return path.toString();
  }

  private Reply send(RouteTable.Rule rule, TokenKind kind) {
    String body = rule.method().equals("GET") || rule.method().equals("DELETE") ? null : "{}";
    return http.send(credentials.get(kind), rule.method(), path(rule, kind), body);
  }

  @ParameterizedTest(name = "{0} as {1}")
  @MethodSource("rulesByKind")
  void aKindReachesExactlyTheRoutesOfItsScopes(RouteTable.Rule rule, TokenKind kind) {
    Reply reply = send(rule, kind);
    boolean allowed = rule.scope().map(kind.allowed()::contains).orElse(true);
    String needs = rule.scope().map(s -> s.wire()).orElse("any valid token");
    if (!allowed) {
      assertEquals(
          403,
          reply.status(),
          "a " + kind.wire() + " token cannot carry " + needs + ", so: " + reply);
      assertEquals(Access.SCOPE_DENIED, reply.code(), "the refusal's code: " + reply);
      return;
    }
    assertNotEquals(
        401, reply.status(), "a " + kind.wire() + " token is valid, so no 401: " + reply);
    assertTrue(
        !(reply.status() == 403 && reply.code().equals(Access.SCOPE_DENIED)),
        "a " + kind.wire() + " token with every scope of its kind has " + needs + ": " + reply);
    assertTrue(reply.status() < 500, "no server failure: " + reply);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rules")
  void everyRowOfTheTableIsServedByARoute(RouteTable.Rule rule) {
    Reply reply = send(rule, TokenKind.OPERATOR);
    assertNotEquals(
        "no such resource",
        reply.message(),
        "the table has this row but no route answers it (the route tree's 404): " + reply);
    assertNotEquals(
        405,
        reply.status(),
        "the table has this row but the route tree serves another method: " + reply);
    assertTrue(reply.status() < 500, "no server failure: " + reply);
  }

  static Stream<Named<RouteTable.Rule>> rules() {
    return RouteTable.RULES.stream().map(RouteScopeMatrixTest::named);
  }

  private static Named<RouteTable.Rule> named(RouteTable.Rule rule) {
    return Named.of(rule.method() + " " + rule.template(), rule);
  }

  @Test
  void aRequestWithoutARowIsNotFoundForEveryKind() {
    for (TokenKind kind : TokenKind.values()) {
      for (String path :
          List.of(
              "/api/v1/nothing", "/api/v1/missions/m-1/nothing", "/api/v1", "/api/v1/tokens/a/b")) {
        Reply reply = http.get(credentials.get(kind), path);
        assertEquals(404, reply.status(), "no row for this path: " + reply);
        assertEquals("not_found", reply.code(), reply.toString());
        assertEquals("no such resource", reply.message(), reply.toString());
      }
    }
  }

  /**
   * A trailing slash names no route, for every route alike: never a scope check (or an audit
   * record) for a request no route then serves.
   */
  @Test
  void aTrailingSlashIsNoRoute() {
    Credential operator = credentials.get(TokenKind.OPERATOR);
    for (String path :
        List.of("/api/v1/audit/", "/api/v1/me/", "/api/v1/missions/", "/api/v1/tokens/")) {
      Reply reply = http.get(operator, path);
      assertEquals(404, reply.status(), "GET " + path + ": " + reply);
      assertEquals("no such resource", reply.message(), reply.toString());
    }
    Reply rotate = http.post(operator, "/api/v1/keys/rotate/", "");
    assertEquals(404, rotate.status(), "POST /api/v1/keys/rotate/: " + rotate);
  }

  @Test
  void aWrongMethodIs405WithTheMethodsTheTableHas() {
    Credential operator = credentials.get(TokenKind.OPERATOR);
    record Wrong(String method, String path, Set<String> allow) {}
    for (Wrong wrong :
        List.of(
            new Wrong("DELETE", "/api/v1/missions", Set.of("GET", "POST")),
            new Wrong("PUT", "/api/v1/missions/m-1", Set.of("GET")),
            new Wrong("POST", "/api/v1/me", Set.of("GET")),
            new Wrong("GET", "/api/v1/missions/m-1/cancel", Set.of("POST")),
            new Wrong("POST", "/api/v1/budgets/b-1", Set.of("GET", "PUT")),
            new Wrong("DELETE", "/api/v1/participants/p-1", Set.of("GET", "PATCH")),
            new Wrong("GET", "/api/v1/tokens/t-1", Set.of("DELETE")))) {
      Reply reply = http.send(operator, wrong.method(), wrong.path(), null);
      assertEquals(405, reply.status(), "a method the table has no row for: " + reply);
      assertEquals("method_not_allowed", reply.code(), reply.toString());
      String allow =
          reply.header("Allow").orElseThrow(() -> new AssertionError("no Allow header: " + reply));
      assertEquals(
          wrong.allow(),
          Set.of(allow.replace(" ", "").split(",")),
          "Allow names the table's methods for the path: " + reply);
    }
    // The token is checked before the route: without one, even a wrong method is a 401.
    Reply anonymous = http.send(Credential.none(), "DELETE", "/api/v1/missions", null);
    assertEquals(401, anonymous.status(), "no token, whatever the route: " + anonymous);
    assertEquals("token_missing", anonymous.code(), anonymous.toString());
    Reply unknown = http.get(Credential.none(), "/api/v1/nothing");
    assertEquals(401, unknown.status(), "no token, whatever the path: " + unknown);
  }
}
