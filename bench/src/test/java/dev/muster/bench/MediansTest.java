package dev.muster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MediansTest {
  @Test
  void mediansOfNestedFiguresAcrossRuns() {
    Map<String, Object> medians =
        Medians.of(
            List.of(
                Map.of("rate", 10.0, "lat", Map.of("p99", 5.0), "db", "h2"),
                Map.of("rate", 30.0, "lat", Map.of("p99", 1.0), "db", "h2"),
                Map.of("rate", 20.0, "lat", Map.of("p99", 3.0), "db", "h2")));
    assertEquals(20.0, medians.get("rate"));
    assertEquals(3.0, medians.get("lat.p99"));
    assertEquals("h2", medians.get("db"));
  }

  @Test
  void medianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
    assertEquals(2.5, Medians.median(List.of(4.0, 1.0, 2.0, 3.0)));
  }

  @Test
  void durations() {
    var c = new Bench.DurationConverter();
    assertEquals(Duration.ofMillis(500), c.convert("500ms"));
    assertEquals(Duration.ofSeconds(30), c.convert("30s"));
    assertEquals(Duration.ofMinutes(2), c.convert("2m"));
  }

  @Test
  void profileLayersAndThreadPools() {
    assertEquals(
        "jdbc-driver",
        Profile.layer(
            List.of(
                "java.net.SocketInputStream.read",
                "org.postgresql.core.PGStream.receive",
                "slick.jdbc.JdbcBackend.run")));
    assertEquals("muster", Profile.layer(List.of("java.util.HashMap.get", "dev.muster.X.y")));
    assertEquals("other (jdk)", Profile.layer(List.of("java.lang.Thread.run")));
    assertEquals(
        "muster-pekko.actor.default-dispatcher",
        Profile.poolOf("\"muster-pekko.actor.default-dispatcher-5\" (javaThreadId = 40)"));
  }
}
