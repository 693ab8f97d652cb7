package dev.muster.api.limits;

import com.typesafe.config.Config;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Token buckets per subject and per workspace, one of each for every {@link ScopeClass}: a request
 * goes when both its subject's bucket and (when it names one) its workspace's bucket of its class
 * hold a token, and then takes one from each. The subject's bucket keeps one client from crowding
 * out the others; the workspace's bucket limits all subjects of a workspace together, so that many
 * tokens of one tenant cannot do what one may not.
 *
 * <p><b>Node-local by design.</b> Every node keeps its own buckets, so the limits apply per node: a
 * client spread over n nodes may send up to n times as much. Sharing buckets across the cluster
 * would cost a round trip (or a database write) per request, on the path of every call, to enforce
 * something that only has to keep one client from overwhelming the nodes it reaches; the limits are
 * set generously enough for that to be the right trade.
 *
 * <p><b>A refused request takes nothing.</b> Both buckets are asked first whether a token is there
 * ({@code estimateAbilityToConsume}); a refusal names the longer of the two waits. Only then are
 * the tokens taken; should another request have taken the workspace's last token in between, the
 * subject's token is given back, so a refused request never costs either bucket.
 *
 * <p><b>Bounded memory.</b> At most {@code muster.rate-limits.max-tracked} buckets are kept; beyond
 * that the least recently used one is dropped. A dropped bucket is one nobody has used for longest,
 * so it has most likely refilled to its capacity, and a new one starts full: dropping it forgets
 * nothing that matters. Clearing the whole map instead would refill every bucket at once, also
 * those of the clients being limited right now, which a client could trigger on purpose by using
 * many subjects.
 */
public final class RateLimits {
  private static final Duration SECOND = Duration.ofSeconds(1);

  private enum Owner {
    SUBJECT,
    WORKSPACE,
    ADDRESS
  }

  private record Key(Owner owner, String name, ScopeClass scopeClass) {}

  private final RateLimitSettings settings;
  private final TimeMeter time;
  private final Map<Key, Bucket> buckets;

  RateLimits(RateLimitSettings settings, TimeMeter time) {
    this.settings = settings;
    this.time = time;
    this.buckets = leastRecentlyUsed(settings.maxTracked());
  }

  /** The limits of {@code muster.rate-limits}, on the system's monotonic clock. */
  public static RateLimits from(Config config) {
    return new RateLimits(RateLimitSettings.from(config), TimeMeter.SYSTEM_NANOTIME);
  }

  /**
   * Empty when the request may go (a token is taken from the subject's bucket of {@code
   * scopeClass}, and from the workspace's when there is one); otherwise how long until it could,
   * with nothing taken. Always empty when rate limits are disabled.
   */
  public Optional<Duration> take(
      String subject, Optional<String> workspace, ScopeClass scopeClass) {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(workspace, "workspace");
    Objects.requireNonNull(scopeClass, "scopeClass");
    if (!settings.enabled()) {
      return Optional.empty();
    }
    Bucket own = bucket(new Key(Owner.SUBJECT, subject, scopeClass));
    Optional<Bucket> shared = workspace.map(w -> bucket(new Key(Owner.WORKSPACE, w, scopeClass)));
    long wait = Math.max(waitNanos(own), shared.map(RateLimits::waitNanos).orElse(0L));
    if (wait > 0) {
      return refused(wait);
    }
    ConsumptionProbe taken = own.tryConsumeAndReturnRemaining(1);
    if (!taken.isConsumed()) {
      return refused(taken.getNanosToWaitForRefill());
    }
    if (shared.isPresent()) {
      ConsumptionProbe takenShared = shared.get().tryConsumeAndReturnRemaining(1);
      if (!takenShared.isConsumed()) {
        own.addTokens(1);
        return refused(takenShared.getNanosToWaitForRefill());
      }
    }
    return Optional.empty();
  }

  /**
   * Empty when a client at {@code address} may have one more token verified that this node has not
   * seen (a token is taken from the address's bucket); otherwise how long until it could. Verifying
   * a signature costs far more than the rest of a request, and a forged token is new every time, so
   * without this one client could keep a node's cores busy with garbage.
   */
  public Optional<Duration> takeNewToken(String address) {
    Objects.requireNonNull(address, "address");
    if (!settings.enabled()) {
      return Optional.empty();
    }
    ConsumptionProbe taken =
        bucket(new Key(Owner.ADDRESS, address, ScopeClass.ADMIN)).tryConsumeAndReturnRemaining(1);
    return taken.isConsumed() ? Optional.empty() : refused(taken.getNanosToWaitForRefill());
  }

  /** How many buckets this node keeps now (at most {@code max-tracked}). */
  int tracked() {
    return buckets.size();
  }

  private Bucket bucket(Key key) {
    return buckets.computeIfAbsent(key, this::newBucket);
  }

  private Bucket newBucket(Key key) {
    RateLimitSettings.Limit limit =
        switch (key.owner()) {
          case SUBJECT -> settings.perSubject().get(key.scopeClass());
          case WORKSPACE -> settings.perWorkspace().get(key.scopeClass());
          case ADDRESS -> settings.newTokensPerAddress();
        };
    return Bucket.builder()
        .addLimit(
            Bandwidth.builder()
                .capacity(limit.capacity())
                .refillGreedy(limit.refillPerSecond(), SECOND)
                .build())
        .withCustomTimePrecision(time)
        .build();
  }

  /** 0 when a token is there, else the nanoseconds until one is. */
  private static long waitNanos(Bucket bucket) {
    EstimationProbe probe = bucket.estimateAbilityToConsume(1);
    return probe.canBeConsumed() ? 0 : Math.max(1, probe.getNanosToWaitForRefill());
  }

  private static Optional<Duration> refused(long nanos) {
    return Optional.of(Duration.ofNanos(Math.max(1, nanos)));
  }

  /**
   * A map that drops its least recently used entry beyond {@code max}. One lock guards it: a lookup
   * is a hash probe and a relink, far shorter than anything else a request does; the buckets
   * themselves are lock-free and are used outside it.
   */
  private static <K, V> Map<K, V> leastRecentlyUsed(int max) {
    return Collections.synchronizedMap(
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
            return size() > max;
          }
        });
  }
}
