package dev.muster.runtime.dispatch;

import com.typesafe.config.Config;
import dev.muster.config.Settings;
import java.time.Duration;

/** The dispatcher's settings ({@code muster.dispatch.*}, swarm-runtime's reference.conf). */
public record DispatchSettings(
    Duration offerTimeout,
    Duration answerTimeout,
    Duration retryInterval,
    Duration settle,
    Duration catchUpPoll,
    Duration reconcileInterval,
    Duration passivateIdleAfter,
    int rememberedIdle) {

  public static DispatchSettings from(Config config) {
    Config muster = config.getConfig("muster");
    return new DispatchSettings(
        Settings.positiveDuration(muster, "dispatch.offer-timeout"),
        Settings.positiveDuration(muster, "dispatch.answer-timeout"),
        Settings.positiveDuration(muster, "dispatch.retry-interval"),
        Settings.positiveDuration(muster, "dispatch.settle"),
        Settings.positiveDuration(muster, "dispatch.catch-up-poll"),
        Settings.positiveDuration(muster, "dispatch.reconcile-interval"),
        Settings.positiveDuration(muster, "dispatch.passivate-idle-after"),
        Settings.positiveInt(muster, "dispatch.remembered-idle"));
  }
}
