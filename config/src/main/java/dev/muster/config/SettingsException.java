package dev.muster.config;

/** A setting has a value Muster cannot run with; the message names the key and what is expected. */
public final class SettingsException extends RuntimeException {
  public SettingsException(String path, String problem) {
    super("Invalid setting muster." + path + ": " + problem);
  }

  public SettingsException(String message, Throwable cause) {
    super(message, cause);
  }
}
