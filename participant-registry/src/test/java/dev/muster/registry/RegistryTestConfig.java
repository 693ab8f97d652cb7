package dev.muster.registry;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;

/** Configurations the tests of this module share. */
public final class RegistryTestConfig {
  private RegistryTestConfig() {}

  /** An EventSourcedBehaviorTestKit system: local provider, in-memory journal and snapshots. */
  public static Config entityTestKit() {
    return ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(EventSourcedBehaviorTestKit.config())
        .withFallback(ConfigFactory.load());
  }

  /** The module's settings with some keys overridden, e.g. {@code "inbox.lease = 1s"}. */
  public static RegistrySettings settings(String... overrides) {
    Config config = ConfigFactory.empty();
    for (String override : overrides) {
      config = ConfigFactory.parseString("muster.registry." + override).withFallback(config);
    }
    return RegistrySettings.from(config.withFallback(ConfigFactory.load()).resolve());
  }
}
