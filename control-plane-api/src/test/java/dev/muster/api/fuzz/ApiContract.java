package dev.muster.api.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What every answer of the API must be, whatever was asked: never a 5xx; every 4xx is {@code
 * application/json} with exactly {@code {"error":{"code":"<snake_case>","message":"<text>"}}}; no
 * body shows a stack trace or a Java class name.
 */
final class ApiContract {
  private static final Pattern SNAKE_CASE = Pattern.compile("[a-z][a-z0-9]*(_[a-z0-9]+)*");
  private static final List<String> LEAKS = List.of("at dev.", "Exception", "java.");
  private static final int SHOWN = 600;
  private static final ObjectMapper JSON = new ObjectMapper();

  private ApiContract() {}

  /** Asserts the contract; {@code context} (seed and request) starts every failure message. */
  static void check(String context, RawHttp.Reply reply) {
    String where = context + "\n  answered: " + describe(reply);
    if (reply.status() >= 500) {
      fail("a 5xx answer\n" + where);
    }
    for (String leak : LEAKS) {
      if (reply.body().contains(leak)) {
        fail("the body shows '" + leak + "'\n" + where);
      }
    }
    if (reply.status() >= 400) {
      errorOf(where, reply);
    }
  }

  /** Asserts that {@code reply} is an error of the API's one shape and returns its code. */
  static String errorOf(String where, RawHttp.Reply reply) {
    assertTrue(
        reply.contentType().startsWith("application/json"),
        "an error's Content-Type is application/json\n" + where);
    JsonNode body = json(where, reply);
    assertEquals(Set.of("error"), names(body), "an error body is {\"error\":{...}}\n" + where);
    JsonNode error = body.get("error");
    assertEquals(
        Set.of("code", "message"), names(error), "an error is {\"code\",\"message\"}\n" + where);
    assertTrue(
        error.get("code").isTextual() && SNAKE_CASE.matcher(error.get("code").asText()).matches(),
        "an error code is snake_case\n" + where);
    assertTrue(
        error.get("message").isTextual() && !error.get("message").asText().isBlank(),
        "an error has a message\n" + where);
    return error.get("code").asText();
  }

  /** The body as JSON; failing the test when it is not JSON. */
  static JsonNode json(String where, RawHttp.Reply reply) {
    try {
      return JSON.readTree(reply.body());
    } catch (IOException e) {
      throw new AssertionError("the body is not JSON\n" + where, e);
    }
  }

  /** The status, content type and (the start of) the body of an answer, for a message. */
  static String describe(RawHttp.Reply reply) {
    String body = reply.body();
    return reply.status()
        + " "
        + reply.contentType()
        + " "
        + (body.length() > SHOWN ? body.substring(0, SHOWN) + "…(" + body.length() + ")" : body);
  }

  private static Set<String> names(JsonNode node) {
    Set<String> names = new TreeSet<>();
    if (node != null && node.isObject()) {
      node.fieldNames().forEachRemaining(names::add);
    }
    return names;
  }
}
