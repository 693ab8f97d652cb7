package dev.muster.api.identity;

import dev.muster.api.access.Scope;
import dev.muster.api.http.ApiException;
import dev.muster.api.http.Fields;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The wire shapes of the identity routes (snake_case JSON), and how their input is checked. */
final class IdentityApi {
  private static final Pattern TTL = Pattern.compile("(\\d{1,9})\\s*(s|m|h|d)");

  private IdentityApi() {}

  /** {@code POST /api/v1/tokens}. */
  record MintRequest(
      String kind,
      String subject,
      String workspace,
      String deviceId,
      List<String> scopes,
      Object ttl) {

    TokenKind checkedKind() {
      if (kind == null) {
        throw ApiException.invalid(
            "kind is required: operator, workspace, device, participant or session");
      }
      return TokenKind.ofWire(kind)
          .orElseThrow(
              () ->
                  ApiException.invalid(
                      "kind must be operator, workspace, device, participant or session"));
    }

    Optional<List<Scope>> checkedScopes() {
      if (scopes == null) {
        return Optional.empty();
      }
      if (scopes.size() > Scope.values().length) {
        throw ApiException.invalid("scopes names at most " + Scope.values().length + " scopes");
      }
      return Optional.of(
          scopes.stream()
              .map(
                  s ->
                      Scope.ofWire(s == null ? "" : s)
                          .orElseThrow(() -> ApiException.invalid("unknown scope '" + s + "'")))
              .toList());
    }

    /** {@code ttl}: seconds, or {@code <n>s|m|h|d}; at most {@code max}. */
    Optional<Duration> checkedTtl(Duration max) {
      if (ttl == null) {
        return Optional.empty();
      }
      Duration duration;
      if (ttl instanceof Integer seconds) {
        duration = Duration.ofSeconds(seconds);
      } else if (ttl instanceof Long seconds) {
        duration = Duration.ofSeconds(seconds);
      } else if (ttl instanceof String text) {
        Matcher m = TTL.matcher(text.trim());
        if (!m.matches()) {
          throw ApiException.invalid("ttl must be seconds, or a number with s, m, h or d");
        }
        long n = Long.parseLong(m.group(1));
        duration =
            switch (m.group(2)) {
              case "s" -> Duration.ofSeconds(n);
              case "m" -> Duration.ofMinutes(n);
              case "h" -> Duration.ofHours(n);
              default -> Duration.ofDays(n);
            };
      } else {
        throw ApiException.invalid("ttl must be seconds, or a number with s, m, h or d");
      }
      if (duration.isNegative() || duration.isZero() || duration.compareTo(max) > 0) {
        throw ApiException.invalid("ttl must be positive and at most " + max.toDays() + " days");
      }
      return Optional.of(duration);
    }
  }

  /** A token as minted: shown once. */
  record MintResponse(
      String token,
      String jti,
      String kind,
      String subject,
      Optional<String> workspace,
      List<String> scopes,
      Instant issuedAt,
      Instant expiresAt) {
    static MintResponse of(Tokens.Minted minted) {
      Principal p = minted.principal();
      return new MintResponse(
          minted.token(),
          p.jti(),
          p.kind().wire(),
          p.subject(),
          p.workspace(),
          p.scopes().stream().map(Scope::wire).sorted().toList(),
          p.issuedAt(),
          p.expiresAt());
    }
  }

  record TokenList(List<TokenRegistry.TokenRecord> tokens, Optional<String> nextCursor) {}

  record SubjectRevoked(
      String subject, Optional<String> workspace, Instant revokedAt, int tokens) {}

  /** A device id as a request names it: a name without ':' (the subject's separator). */
  static String deviceId(String text) {
    String id = Fields.name("device_id", text);
    if (id.contains(":")) {
      throw ApiException.invalid("device_id must not contain ':'");
    }
    return id;
  }

  /** {@code POST /api/v1/devices}. */
  record DeviceRequest(String workspace, String deviceId, String name) {
    String checkedDeviceId() {
      return IdentityApi.deviceId(deviceId);
    }

    String checkedName() {
      return Fields.text("name", name, true);
    }
  }

  record DeviceList(List<TokenRegistry.Device> devices) {}

  record KeyResponse(String kid, Instant createdAt, Optional<Instant> retiredAt, boolean signing) {
    static KeyResponse of(KeyRing.KeyInfo key) {
      return new KeyResponse(key.kid(), key.created(), key.retired(), key.signing());
    }
  }

  record KeyList(List<KeyResponse> keys) {}

  /** {@code GET /api/v1/me}: what the caller's token says, so a client can offer what it may do. */
  record Me(
      String subject,
      String kind,
      Optional<String> workspace,
      List<String> scopes,
      String jti,
      Instant expiresAt,
      Optional<String> deviceName) {}
}
