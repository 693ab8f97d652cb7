package dev.muster.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.muster.config.SettingsException;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class HttpSettingsTest {

  private static HttpSettings load(Map<String, Object> overrides) {
    return HttpSettings.from(
        ConfigFactory.parseMap(overrides).withFallback(ConfigFactory.load()).resolve());
  }

  @Test
  void defaults() {
    HttpSettings settings = load(Map.of());
    assertEquals(
        new HttpSettings(
            "127.0.0.1",
            8080,
            1024 * 1024,
            Duration.ofSeconds(5),
            Duration.ofSeconds(60),
            Duration.ZERO,
            500,
            100,
            Duration.ofSeconds(75),
            Duration.ofSeconds(2),
            Duration.ofSeconds(3)),
        settings);
  }

  static Stream<Arguments> badValues() {
    return Stream.of(
        Arguments.of("muster.http.host", "", "muster.http.host"),
        Arguments.of("muster.http.port", 70000, "muster.http.port"),
        Arguments.of("muster.http.max-body-size", "0", "muster.http.max-body-size"),
        Arguments.of("muster.http.max-body-size", "lots", "muster.http.max-body-size"),
        Arguments.of("muster.http.ask-timeout", "0s", "muster.http.ask-timeout"),
        Arguments.of("muster.http.default-long-poll-wait", "-1s", "default-long-poll-wait"),
        Arguments.of("muster.http.default-long-poll-wait", "61s", "default-long-poll-wait"),
        Arguments.of("muster.http.max-page-size", 0, "muster.http.max-page-size"),
        Arguments.of("muster.http.default-page-size", 501, "muster.http.default-page-size"),
        Arguments.of("muster.http.request-timeout", "60s", "muster.http.request-timeout"),
        Arguments.of("muster.http.health-check-timeout", "never", "health-check-timeout"));
  }

  @ParameterizedTest(name = "{0}={1}")
  @MethodSource("badValues")
  void badValuesFailFastNamingTheKey(String key, Object value, String expected) {
    SettingsException e = assertThrows(SettingsException.class, () -> load(Map.of(key, value)));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  @Test
  void theServerEnforcesTheBodyLimitAndOutlastsLongPolls() {
    HttpSettings settings = load(Map.of("muster.http.max-body-size", "2KiB"));
    var system =
        org.apache.pekko.actor.typed.ActorSystem.create(
            org.apache.pekko.actor.typed.javadsl.Behaviors.empty(),
            "settings",
            TestHttp.config(""));
    try {
      var server = HttpServer.serverSettings(system, settings);
      assertEquals(2048, server.getParserSettings().getMaxContentLength());
      assertEquals(75, server.getTimeouts().requestTimeout().toSeconds());
      assertTrue(server.getTimeouts().idleTimeout().toSeconds() > 75);
    } finally {
      system.terminate();
    }
  }
}
