package dev.muster.api.identity;

import dev.muster.config.readside.JournalFollower;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.query.EventEnvelope;

/**
 * What every node must know to accept a token without asking anyone: revoked {@code jti}s, revoked
 * subjects (with when), and the names of registered devices. Folded from the {@link
 * TokenRegistry}'s events in the journal ({@link JournalFollower}), so a revocation on any node is
 * refused on every node within the journal's query refresh plus the follower's batch window. Until
 * this node has read every stored revocation ({@link #ready}), no token is accepted (503): a
 * restarted node never lets a revoked token through.
 */
public final class AccessView {
  private final Map<String, Instant> revokedTokens = new ConcurrentHashMap<>();
  private final Map<String, Instant> revokedSubjects = new ConcurrentHashMap<>();
  private final Map<String, String> deviceNames = new ConcurrentHashMap<>();
  private volatile JournalFollower follower;

  private AccessView() {}

  public static AccessView start(ActorSystem<?> system, AuthSettings settings) {
    AccessView view = new AccessView();
    view.follower =
        JournalFollower.start(system, TokenRegistry.TAG, settings.follower(), view::fold);
    return view;
  }

  /** Whether every revocation stored when this node started has been read. */
  public boolean ready() {
    return follower.caughtUp();
  }

  /** Why {@code principal}'s token is revoked, if it is. */
  public Optional<String> revocation(Principal principal) {
    Instant token = revokedTokens.get(principal.jti());
    if (token != null) {
      return Optional.of("the token was revoked at " + token);
    }
    Instant subject = revokedSubjects.get(principal.subject());
    if (subject != null && !principal.issuedAt().isAfter(subject)) {
      return Optional.of(
          "the tokens of " + principal.subject() + " issued until " + subject + " were revoked");
    }
    return Optional.empty();
  }

  /** The human name of the device whose subject is {@code subject}, if it is registered. */
  public Optional<String> deviceName(String subject) {
    return Optional.ofNullable(deviceNames.get(subject));
  }

  private void fold(List<EventEnvelope> batch) {
    for (EventEnvelope envelope : batch) {
      Object event = envelope.event();
      if (event instanceof TokenRegistry.TokenRevoked revoked) {
        revokedTokens.putIfAbsent(revoked.jti(), revoked.at());
      } else if (event instanceof TokenRegistry.SubjectRevoked revoked) {
        revokedSubjects.merge(revoked.subject(), revoked.at(), (a, b) -> a.isAfter(b) ? a : b);
      } else if (event instanceof TokenRegistry.DeviceRegistered registered) {
        deviceNames.put(registered.device().subject(), registered.device().name());
      }
    }
  }
}
