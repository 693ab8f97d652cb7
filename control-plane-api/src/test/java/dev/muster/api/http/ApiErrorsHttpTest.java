package dev.muster.api.http;

import static dev.muster.api.http.JsonSupport.completeJson;
import static dev.muster.api.http.JsonSupport.completeOk;
import static dev.muster.api.http.JsonSupport.withBody;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.parameter;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.config.Rejection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.StringUnmarshallers;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The error contract over real HTTP: a small API of the kind route authors write (a POST reading a
 * record, a GET with query parameters, asks to an entity) behind {@link HttpServer}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiErrorsHttpTest {

  /** A request body: {@code name} is required, {@code count} is checked by the constructor. */
  record Widget(
      String name,
      int count,
      Optional<String> displayName,
      List<Part> parts,
      com.fasterxml.jackson.databind.JsonNode details) {
    Widget {
      java.util.Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        throw ApiException.invalid("name must not be blank");
      }
      if (count < 0) {
        throw new IllegalArgumentException("count must not be negative, got " + count);
      }
    }
  }

  record Part(String sku) {}

  /** An entity's command: refused with {@code code}, or accepted when the code is "ok". */
  record Refuse(String code, ActorRef<StatusReply<String>> replyTo) {}

  private static Behavior<Refuse> refusingEntity() {
    return Behaviors.receiveMessage(
        command -> {
          command
              .replyTo()
              .tell(
                  command.code().equals("ok")
                      ? StatusReply.success("accepted")
                      : Rejection.of(
                              Rejection.Code.ofWire(command.code()),
                              "refused because of " + command.code())
                          .reply());
          return Behaviors.same();
        });
  }

  private ActorTestKit testKit;
  private TestHttp http;

  @BeforeAll
  void start() {
    testKit =
        ActorTestKit.create(
            "api-errors",
            TestHttp.config(
                """
                muster.http.max-body-size = 1KiB
                muster.http.ask-timeout = 200ms
                muster.http.max-long-poll-wait = 100ms
                muster.http.request-timeout = 600ms
                """));
    HttpSettings settings = HttpSettings.from(testKit.system().settings().config());
    ServerBinding binding =
        HttpServer.start(testKit.system(), routes(settings), settings).toCompletableFuture().join();
    http = new TestHttp(binding);
  }

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
  }

  private Route routes(HttpSettings settings) {
    QueryParams query = new QueryParams(settings);
    ActorRef<Refuse> entity = testKit.spawn(refusingEntity());
    ActorRef<Refuse> silent = testKit.spawn(Behaviors.ignore());
    return concat(
        path(
            "widgets",
            () ->
                concat(
                    post(
                        () ->
                            withBody(
                                Widget.class, widget -> completeJson(StatusCodes.CREATED, widget))),
                    get(
                        () ->
                            parameterOptional(
                                "limit",
                                limit -> completeOk(Map.of("limit", query.limit(limit))))))),
        path(
            "typed",
            () ->
                get(
                    () ->
                        parameter(
                            StringUnmarshallers.INTEGER, "n", n -> completeOk(Map.of("n", n))))),
        pathPrefix(
            "refusals",
            () ->
                path(
                    PathMatchers.segment(),
                    code ->
                        get(
                            () ->
                                onSuccess(ask(entity, code, settings), JsonSupport::completeOk)))),
        path(
            "slow",
            () -> get(() -> onSuccess(ask(silent, "ok", settings), JsonSupport::completeOk))),
        path(
            "boom",
            () ->
                get(
                    () -> {
                      throw new IllegalStateException("secret: password=hunter2");
                    })),
        path(
            "boom-later",
            () ->
                get(
                    () ->
                        onSuccess(
                            CompletableFuture.<String>failedFuture(
                                    new IllegalStateException("secret: password=hunter2"))
                                .thenApply(String::trim),
                            JsonSupport::completeOk))),
        path(
            "never",
            () -> get(() -> onSuccess(new CompletableFuture<String>(), JsonSupport::completeOk))),
        path(
            "refused-by-route",
            () -> get(() -> ApiErrors.completeError(ApiException.conflict("already there")))));
  }

  private CompletionStage<String> ask(ActorRef<Refuse> entity, String code, HttpSettings settings) {
    return AskPattern.askWithStatus(
        entity,
        replyTo -> new Refuse(code, replyTo),
        settings.askTimeout(),
        testKit.system().scheduler());
  }

  private static void assertError(TestHttp.Reply reply, int status, String code) {
    assertEquals(status, reply.status(), () -> "status of " + reply.raw().body());
    assertEquals(List.of("application/json"), reply.header("Content-Type"), "errors are JSON");
    assertEquals(code, reply.errorCode(), reply.raw().body());
    assertFalse(reply.errorMessage().isBlank(), "a message for people");
    assertEquals(1, reply.json().size(), "only the error object: " + reply.raw().body());
    assertEquals(2, reply.json().path("error").size(), "only code and message");
  }

  @Test
  void aValidBodyIsReadAndAnsweredInSnakeCase() {
    TestHttp.Reply reply =
        http.postJson("/widgets", "{\"name\":\"a\",\"count\":2,\"display_name\":\"A\"}");
    assertEquals(201, reply.status(), reply.raw().body());
    assertEquals("{\"name\":\"a\",\"count\":2,\"display_name\":\"A\"}", reply.raw().body());
  }

  @Test
  void anUnknownPathIs404() {
    assertError(http.get("/nowhere"), 404, "not_found");
    assertError(http.postJson("/widgets/1/deeper", "{}"), 404, "not_found");
  }

  @Test
  void aWrongMethodIs405NamingTheAllowedOnes() {
    TestHttp.Reply reply = http.method("DELETE", "/widgets");
    assertError(reply, 405, "method_not_allowed");
    String allow = String.join(",", reply.header("Allow"));
    assertTrue(allow.contains("GET") && allow.contains("POST"), allow);
  }

  @Test
  void aBodyOverTheLimitIs413() {
    String big = "{\"name\":\"" + "x".repeat(4096) + "\"}";
    assertError(http.postJson("/widgets", big), 413, "payload_too_large");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "{\"name\":                                       | malformed_json  | not valid JSON",
        "{name: \"a\"}                                    | malformed_json  | not valid JSON",
        "{\"name\":\"a\",\"count\":1} {}                  | malformed_json  | after its JSON value",
        "{\"name\":\"a\",\"name\":\"b\",\"count\":1}  | malformed_json  | Duplicate field 'name'",
        "null                                             | invalid_request | not null",
        "{\"name\":\"a\",\"count\":1,\"colour\":\"red\"}  | invalid_request | unknown field 'colour'",
        "{\"name\":\"a\",\"count\":1,\"displayName\":\"x\"} | invalid_request | unknown field 'displayName'",
        "{\"name\":\"a\",\"count\":\"many\"}              | invalid_request | 'count' must be an integer",
        "{\"name\":\"a\",\"count\":null}                  | invalid_request | 'count' must be an integer",
        "{\"name\":\"a\"}                                 | invalid_request | 'count' must be an integer",
        "{\"count\":1}                                    | invalid_request | missing required field 'name'",
        "{\"name\":\"a\",\"count\":1,\"display_name\":[1]} | invalid_request | 'display_name' must be a string",
        "{\"name\":\"a\",\"count\":1,\"parts\":[{\"sku\":\"x\",\"n\":1}]} | invalid_request | 'parts[0].n'",
        "{\"name\":\"a\",\"count\":-1}                    | invalid_request | count must not be negative",
        "{\"name\":\" \",\"count\":1}                     | invalid_request | name must not be blank",
        "[1,2]                                            | invalid_request | must be an object",
        "{\"name\":\"a\\ud800\",\"count\":1}             | invalid_request | '/name' holds an unpaired UTF-16 surrogate",
        "{\"name\":\"a\",\"count\":1,\"details\":{\"k\":[\"\\udc00\"]}} | invalid_request | '/details/k/0' holds an unpaired",
        "{\"name\":\"a\",\"count\":1,\"details\":{\"\\ude00\\ud83d\":1}} | malformed_json  | low surrogate in field name",
      })
  void aBadBodyIs400NamingTheField(String body, String code, String mentioned) {
    TestHttp.Reply reply = http.postJson("/widgets", body);
    assertError(reply, 400, code);
    assertTrue(reply.errorMessage().contains(mentioned), reply.errorMessage());
    assertFalse(
        reply.errorMessage().contains("dev.muster"), "no class names: " + reply.errorMessage());
  }

  @Test
  void aSurrogateEncodedAsUtf8BytesIsNotJson() {
    byte[] prefix = "{\"name\":\"a".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] suffix = "\",\"count\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] body = new byte[prefix.length + 3 + suffix.length];
    System.arraycopy(prefix, 0, body, 0, prefix.length);
    // U+D800 in the three bytes UTF-8 would use for it (which UTF-8 forbids: CESU-8)
    body[prefix.length] = (byte) 0xED;
    body[prefix.length + 1] = (byte) 0xA0;
    body[prefix.length + 2] = (byte) 0x80;
    System.arraycopy(suffix, 0, body, prefix.length + 3, suffix.length);
    TestHttp.Reply reply = http.postJsonBytes("/widgets", body);
    assertError(reply, 400, "malformed_json");
  }

  @Test
  void aBodyBeyondTheReadLimitsIs400() {
    String deep = "[".repeat(150) + "]".repeat(150);
    TestHttp.Reply reply =
        http.postJson("/widgets", "{\"name\":\"a\",\"count\":1,\"details\":" + deep + "}");
    assertError(reply, 400, "invalid_request");
    assertTrue(reply.errorMessage().contains("beyond the API's limits"), reply.errorMessage());
    String longNumber = "1".repeat(200);
    TestHttp.Reply number =
        http.postJson("/widgets", "{\"name\":\"a\",\"count\":1,\"details\":" + longNumber + "}");
    assertError(number, 400, "invalid_request");
    assertTrue(number.errorMessage().contains("beyond the API's limits"), number.errorMessage());
  }

  @Test
  void anEmptyBodyIs400() {
    assertError(http.postJson("/widgets", ""), 400, "invalid_request");
  }

  @Test
  void aBodyThatIsNotJsonIs415() {
    assertError(http.post("/widgets", "text/plain", "name=a"), 415, "unsupported_media_type");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      quoteCharacter = '`',
      value = {
        "/widgets?limit=0, 'limit' must be at least 1",
        "/widgets?limit=501, 'limit' must be at most 500",
        "/widgets?limit=ten, 'limit' must be a whole number",
        "/typed?n=abc, 'n'",
        "/typed, 'n' is required"
      })
  void aBadQueryParameterIs400(String path, String mentioned) {
    TestHttp.Reply reply = http.get(path);
    assertError(reply, 400, "invalid_request");
    assertTrue(reply.errorMessage().contains(mentioned), reply.errorMessage());
  }

  @Test
  void aGoodQueryParameterIsRead() {
    assertEquals("{\"limit\":100}", http.get("/widgets").raw().body());
    assertEquals("{\"limit\":7}", http.get("/widgets?limit=7").raw().body());
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "not_found, 404",
    "unknown_message, 404",
    "conflict, 409",
    "stale_attempt, 409",
    "illegal_transition, 409",
    "already_resolved, 409",
    "inbox_full, 429",
    "invalid_request, 400",
    "forbidden, 403",
    "unavailable, 503",
    "internal_error, 500"
  })
  void anEntityRefusalIsAnsweredByItsCode(String code, int status) {
    TestHttp.Reply reply = http.get("/refusals/" + code);
    assertError(reply, status, code);
    assertEquals("refused because of " + code, reply.errorMessage());
  }

  @Test
  void anAcceptedCommandIsAnswered() {
    assertEquals("\"accepted\"", http.get("/refusals/ok").raw().body());
  }

  @Test
  void anAskTimeoutIs503AndRetryable() {
    TestHttp.Reply reply = http.get("/slow");
    assertError(reply, 503, "unavailable");
    assertTrue(reply.errorMessage().contains("retried"), reply.errorMessage());
  }

  @ParameterizedTest
  @CsvSource({"/boom", "/boom-later"})
  void anUnexpectedExceptionIs500AndRevealsNothing(String path) {
    TestHttp.Reply reply = http.get(path);
    assertError(reply, 500, "internal_error");
    assertEquals(ApiErrors.INTERNAL_MESSAGE, reply.errorMessage());
    String body = reply.raw().body();
    assertFalse(
        body.contains("hunter2") || body.contains("IllegalState") || body.contains("at "), body);
  }

  @Test
  void aRouteRefusalIsAnsweredWithItsStatus() {
    TestHttp.Reply reply = http.get("/refused-by-route");
    assertError(reply, 409, "conflict");
    assertEquals("already there", reply.errorMessage());
  }

  @Test
  void aRequestOverTheRequestTimeoutIs503() {
    TestHttp.Reply reply = http.get("/never");
    assertError(reply, 503, "unavailable");
  }

  @Test
  void aRequestTheServerCannotParseGetsTheErrorBodyToo() {
    TestHttp.Reply reply = http.getWithHeader("/widgets", "X-Big", "x".repeat(20_000));
    assertTrue(reply.status() >= 400 && reply.status() < 500, () -> reply.raw().toString());
    assertError(reply, reply.status(), "invalid_request");
  }
}
