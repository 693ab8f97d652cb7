package dev.muster.api;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.muster.testing.TestDatabase;
import java.util.Map;

/** Starts real Muster nodes for tests: loopback, free ports, the given database. */
public final class TestNodes {
  private TestNodes() {}

  /** A single node (it joins itself) on free ports, with the database's settings. */
  public static Config singleNode(TestDatabase database) {
    return ConfigFactory.parseMap(
            Map.of(
                "muster.http.host", "127.0.0.1",
                "muster.http.port", 0,
                "muster.cluster.host", "127.0.0.1",
                "muster.cluster.port", 0,
                "muster.cluster.seed-nodes", ""))
        .withFallback(database.config())
        .withFallback(ConfigFactory.load())
        .resolve();
  }
}
