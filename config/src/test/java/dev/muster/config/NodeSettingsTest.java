package dev.muster.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.muster.config.ClusterSettings.HostPort;
import dev.muster.config.persistence.DatabaseProfile;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class NodeSettingsTest {

  private static NodeSettings load(Map<String, Object> overrides) {
    Config config = ConfigFactory.parseMap(overrides).withFallback(ConfigFactory.load()).resolve();
    return NodeSettings.from(config);
  }

  @Test
  void defaultsAreEmbeddedH2UnderTheDataDirAndASelfJoiningNode() {
    NodeSettings settings = load(Map.of("muster.data-dir", "/tmp/muster-x"));
    assertEquals(DatabaseProfile.H2, settings.database().profile());
    assertTrue(settings.database().jdbcUrl().startsWith("jdbc:h2:file:/tmp/muster-x/muster"));
    assertTrue(settings.cluster().selfJoin());
    assertEquals(25520, settings.cluster().port());
  }

  @Test
  void aPostgresUrlSelectsPostgresWithBatchedInsertsAndTheSchema() {
    NodeSettings settings =
        load(
            Map.of(
                "muster.db.url", "jdbc:postgresql://127.0.0.1:5432/test",
                "muster.db.schema", "muster_a"));
    assertEquals(DatabaseProfile.POSTGRES, settings.database().profile());
    assertEquals(
        "jdbc:postgresql://127.0.0.1:5432/test?reWriteBatchedInserts=true&currentSchema=muster_a"
            + "&options=-c%20statement_timeout%3D30000%20-c%20plan_cache_mode%3Dforce_custom_plan",
        settings.database().jdbcUrl());
  }

  @Test
  void theStatementTimeoutIsAddedToTheUrlsOwnOptions() {
    NodeSettings settings =
        load(
            Map.of(
                "muster.db.url",
                "jdbc:postgresql://127.0.0.1:5432/test?options=-c%20work_mem%3D8MB&ssl=false",
                "muster.db.statement-timeout",
                "1500ms"));
    assertEquals(Duration.ofMillis(1500), settings.database().statementTimeout());
    assertEquals(
        "jdbc:postgresql://127.0.0.1:5432/test?ssl=false&reWriteBatchedInserts=true"
            + "&options=-c%20work_mem%3D8MB%20-c%20statement_timeout%3D1500"
            + "%20-c%20plan_cache_mode%3Dforce_custom_plan",
        settings.database().jdbcUrl());
  }

  @Test
  void anH2UrlIsLeftAsItIs() {
    NodeSettings settings =
        load(Map.of("muster.data-dir", "/tmp/muster-x", "muster.db.statement-timeout", "5s"));
    assertEquals(Duration.ofSeconds(5), settings.database().statementTimeout());
    assertEquals(
        "jdbc:h2:file:/tmp/muster-x/muster;DB_CLOSE_ON_EXIT=FALSE", settings.database().jdbcUrl());
  }

  @Test
  void seedNodesAreCommaSeparatedHostPorts() {
    NodeSettings settings =
        load(
            Map.of(
                "muster.cluster.seed-nodes", "127.0.0.1:2551, 127.0.0.1:2552",
                "muster.db.url", "jdbc:postgresql://127.0.0.1:5432/test"));
    assertEquals(
        List.of(new HostPort("127.0.0.1", 2551), new HostPort("127.0.0.1", 2552)),
        settings.cluster().seedNodes());
  }

  static Stream<Arguments> badValues() {
    return Stream.of(
        Arguments.of("muster.cluster.port", 70000, "muster.cluster.port"),
        Arguments.of("muster.cluster.port", "abc", "muster.cluster.port"),
        Arguments.of("muster.cluster.seed-nodes", "127.0.0.1", "host:port"),
        Arguments.of("muster.cluster.seed-nodes", "127.0.0.1:0", "port between"),
        Arguments.of("muster.db.url", "jdbc:mysql://x/y", "only jdbc:h2: and jdbc:postgresql:"),
        Arguments.of("muster.db.schema", "x", "only be chosen on PostgreSQL"),
        Arguments.of("muster.db.pool-size", 0, "muster.db.pool-size"),
        Arguments.of("muster.db.connection-timeout", "soon", "muster.db.connection-timeout"),
        Arguments.of("muster.db.statement-timeout", "soon", "muster.db.statement-timeout"),
        Arguments.of("muster.db.statement-timeout", "0s", "muster.db.statement-timeout"),
        Arguments.of("muster.db.statement-timeout", "500us", "at least 1ms"),
        Arguments.of("muster.data-dir", "", "muster.data-dir"),
        Arguments.of("muster.cluster.seed-nodes", "127.0.0.1:2552", "single-node only"));
  }

  @ParameterizedTest(name = "{0}={1}")
  @MethodSource("badValues")
  void badValuesFailFastNamingTheKey(String key, Object value, String expected) {
    SettingsException e = assertThrows(SettingsException.class, () -> load(Map.of(key, value)));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
