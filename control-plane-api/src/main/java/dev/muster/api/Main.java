package dev.muster.api;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.muster.config.CommonPool;
import dev.muster.config.Settings;
import dev.muster.config.SettingsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts a Muster node: {@code java -jar muster-node.jar}. Configuration: README.md. */
public final class Main {
  static {
    // Before anything (logging included) touches ForkJoinPool: see CommonPool.
    CommonPool.ensureParallelism();
  }

  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) {
    // Only the production process exits the JVM when the node stops (tests must not).
    Config config =
        ConfigFactory.parseString("pekko.coordinated-shutdown.exit-jvm = on")
            .withFallback(Settings.load());
    try {
      MusterApplication.start(config);
    } catch (SettingsException e) {
      log.error("{}", e.getMessage());
      System.exit(2);
    } catch (RuntimeException e) {
      log.error("Muster could not start", e);
      System.exit(1);
    }
  }
}
