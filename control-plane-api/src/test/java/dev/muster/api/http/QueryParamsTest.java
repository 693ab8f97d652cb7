package dev.muster.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class QueryParamsTest {
  private final QueryParams query =
      new QueryParams(
          HttpSettings.from(
              TestHttp.config("muster.http { max-page-size = 50, default-page-size = 20 }")));

  static Stream<Arguments> goodWaits() {
    return Stream.of(
        Arguments.of(null, Duration.ZERO),
        Arguments.of("", Duration.ZERO),
        Arguments.of("20s", Duration.ofSeconds(20)),
        Arguments.of("500ms", Duration.ofMillis(500)),
        Arguments.of("1m", Duration.ofMinutes(1)),
        Arguments.of("15", Duration.ofSeconds(15)),
        Arguments.of("0", Duration.ZERO),
        Arguments.of("60000ms", Duration.ofSeconds(60)));
  }

  @ParameterizedTest(name = "wait={0}")
  @MethodSource("goodWaits")
  void waitDurationsAreRead(String text, Duration expected) {
    assertEquals(expected, query.waitDuration(text));
  }

  static Stream<Arguments> badWaits() {
    return Stream.of(
        Arguments.of("-1", "must not be negative"),
        Arguments.of("-5s", "must not be negative"),
        Arguments.of("soon", "like 20s"),
        Arguments.of("20h", "like 20s"),
        Arguments.of("1.5s", "like 20s"),
        Arguments.of("20 s", "like 20s"),
        Arguments.of("99999999999", "like 20s"),
        Arguments.of("61s", "at most 60s"),
        Arguments.of("2m", "at most 60s"),
        Arguments.of("60001ms", "at most 60s"));
  }

  @ParameterizedTest(name = "wait={0}")
  @MethodSource("badWaits")
  void badWaitsAre400NamingTheParameter(String text, String expected) {
    ApiException e = assertThrows(ApiException.class, () -> query.waitDuration(text));
    assertEquals(StatusCodes.BAD_REQUEST, e.status());
    assertEquals("invalid_request", e.code());
    assertTrue(
        e.getMessage().contains("'wait'") && e.getMessage().contains(expected), e.getMessage());
  }

  static Stream<Arguments> limits() {
    return Stream.of(
        Arguments.of(null, 20, null),
        Arguments.of("1", 1, null),
        Arguments.of(" 50 ", 50, null),
        Arguments.of("51", 0, "at most 50"),
        Arguments.of("0", 0, "at least 1"),
        Arguments.of("-3", 0, "at least 1"),
        Arguments.of("ten", 0, "whole number"),
        Arguments.of("1e3", 0, "whole number"),
        Arguments.of("99999999999", 0, "whole number"));
  }

  @ParameterizedTest(name = "limit={0}")
  @MethodSource("limits")
  void limitsAreOneToMaxPageSize(String text, int expected, String error) {
    if (error == null) {
      assertEquals(expected, query.limit(Optional.ofNullable(text)));
    } else {
      ApiException e = assertThrows(ApiException.class, () -> query.limit(text));
      assertEquals("invalid_request", e.code());
      assertTrue(
          e.getMessage().contains("'limit'") && e.getMessage().contains(error), e.getMessage());
    }
  }

  @Test
  void positiveIntNamesItsParameter() {
    assertEquals(Optional.of(3), QueryParams.positiveInt("after", Optional.of("3")));
    assertEquals(Optional.empty(), QueryParams.positiveInt("after", Optional.empty()));
    ApiException e = assertThrows(ApiException.class, () -> QueryParams.positiveInt("after", "x"));
    assertTrue(e.getMessage().contains("'after'"), e.getMessage());
  }

  @Test
  void aGivenParameterIsOneThatIsPresentAndNotBlank() {
    Map<String, String> query = Map.of("workspace", "ws-1", "state", " ", "spec", "");
    assertEquals(Optional.of("ws-1"), QueryParams.given(query, "workspace"));
    assertEquals(Optional.empty(), QueryParams.given(query, "state"));
    assertEquals(Optional.empty(), QueryParams.given(query, "spec"));
    assertEquals(Optional.empty(), QueryParams.given(query, "parent"));
  }
}
