package dev.muster.runtime.resume;

import com.typesafe.config.Config;
import dev.muster.config.Settings;
import dev.muster.config.SettingsException;

/** The {@code muster.resume.*} settings (reference.conf of swarm-runtime), checked on load. */
public record ResumeSettings(boolean enabled, String readJournal, int wakesPerSecond) {

  public static ResumeSettings from(Config config) {
    if (!config.hasPath("muster.resume")) {
      throw new SettingsException("resume", "missing (is swarm-runtime on the classpath?)");
    }
    Config muster = config.getConfig("muster");
    String journal = Settings.string(muster, "resume.read-journal");
    if (journal.isEmpty()) {
      throw new SettingsException("resume.read-journal", "must not be empty");
    }
    return new ResumeSettings(
        Settings.read(muster, "resume.enabled", muster::getBoolean),
        journal,
        Settings.positiveInt(muster, "resume.wakes-per-second"));
  }
}
