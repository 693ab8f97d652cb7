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
  /** The key of a revocation in every workspace (no workspace id is empty). */
  private static final String EVERYWHERE = "";

  private final Map<String, Instant> revokedTokens = new ConcurrentHashMap<>();

  /** By subject: when it was revoked everywhere ({@link #EVERYWHERE}) or in a workspace. */
  private final Map<String, Map<String, Instant>> revokedSubjects = new ConcurrentHashMap<>();

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
    Map<String, Instant> subject = revokedSubjects.get(principal.subject());
    if (subject != null) {
      for (String where : List.of(EVERYWHERE, principal.workspace().orElse(EVERYWHERE))) {
        Instant at = subject.get(where);
        if (at != null && !principal.issuedAt().isAfter(at)) {
          return Optional.of(
              "the tokens of " + principal.subject() + " issued until " + at + " were revoked");
        }
      }
    }
    return Optional.empty();
  }

  /**
   * The human name of the device a device token stands for, if it is registered; nothing for any
   * other token, whatever its subject looks like.
   */
  public Optional<String> deviceName(Principal principal) {
    return principal.kind() == TokenKind.DEVICE
        ? Optional.ofNullable(deviceNames.get(principal.subject()))
        : Optional.empty();
  }

  private void fold(List<EventEnvelope> batch) {
    for (EventEnvelope envelope : batch) {
      Object event = envelope.event();
      if (event instanceof TokenRegistry.TokenRevoked revoked) {
        revokedTokens.putIfAbsent(revoked.jti(), revoked.at());
      } else if (event instanceof TokenRegistry.SubjectRevoked revoked) {
        revokedSubjects
            .computeIfAbsent(revoked.subject(), s -> new ConcurrentHashMap<>())
            .merge(
                revoked.workspace().orElse(EVERYWHERE),
                revoked.at(),
                (a, b) -> a.isAfter(b) ? a : b);
      } else if (event instanceof TokenRegistry.DeviceRegistered registered) {
        deviceNames.put(registered.device().subject(), registered.device().name());
      }
    }
  }
}
