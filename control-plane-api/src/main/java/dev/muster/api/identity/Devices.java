package dev.muster.api.identity;

import java.util.Optional;

/**
 * The subjects of enrollment: a workspace enrolls as {@code <workspace_id>}, a phone of it as
 * {@code <workspace_id>:phone:<device_id>}; a registered device maps its id to a human name.
 */
public final class Devices {
  static final String PHONE = ":phone:";

  private Devices() {}

  /** The subject of device {@code deviceId} of {@code workspace}. */
  public static String subject(String workspace, String deviceId) {
    return workspace + PHONE + deviceId;
  }

  /** The device id of a device subject, if it is one. */
  public static Optional<String> deviceOf(String subject) {
    int at = subject.indexOf(PHONE);
    return at <= 0 ? Optional.empty() : Optional.of(subject.substring(at + PHONE.length()));
  }
}
