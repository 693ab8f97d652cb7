package dev.muster.api.audit;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.muster.config.CborSerializable;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One state-changing request to the API, as the audit log keeps it: when, who (the token's subject,
 * and the device it was issued to, if any), in which workspace, what ({@code method} and the route
 * template, e.g. {@code /api/v1/missions/{id}/cancel}, with the ids it named in {@code targets}),
 * how it ended (the HTTP status) and the request's id.
 *
 * <p>It is its own journal event. It is written by a serializer binding of its own ({@code
 * muster-audit} in reference.conf: Jackson CBOR without the class name in the manifest), so the
 * journal holds no Java class name for it and the class can be renamed or moved by changing the
 * binding's {@code deserialization-type}. Fields added later must be optional (a missing one reads
 * as empty), so that records already written still read back.
 *
 * <p>Every string is made writable here: a lone UTF-16 surrogate, which the journal's CBOR encoder
 * refuses, becomes U+FFFD. An audit record must never fail the batch it is written with.
 */
public record AuditRecord(
    Instant time,
    String subject,
    Optional<String> deviceName,
    Optional<String> workspace,
    String method,
    String route,
    List<String> targets,
    int status,
    String requestId)
    implements CborSerializable {

  @JsonCreator
  public AuditRecord {
    Objects.requireNonNull(time, "time");
    subject = writable(Objects.requireNonNull(subject, "subject"));
    deviceName = deviceName == null ? Optional.empty() : deviceName.map(AuditRecord::writable);
    workspace = workspace == null ? Optional.empty() : workspace.map(AuditRecord::writable);
    method = writable(Objects.requireNonNull(method, "method"));
    route = writable(Objects.requireNonNull(route, "route"));
    targets =
        targets == null
            ? List.of()
            : targets.stream()
                .map(target -> writable(Objects.requireNonNull(target, "targets")))
                .toList();
    requestId = writable(Objects.requireNonNull(requestId, "requestId"));
  }

  /** {@code text} with every unpaired surrogate replaced by U+FFFD; the same string when none. */
  private static String writable(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (Character.isSurrogate(text.charAt(i))) {
        return text.codePoints()
            .map(AuditRecord::pairedOrReplaced)
            .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
            .toString();
      }
    }
    return text;
  }

  /** A paired surrogate is one code point above U+FFFF; a lone one stays in the surrogate range. */
  private static int pairedOrReplaced(int codePoint) {
    return codePoint >= Character.MIN_SURROGATE && codePoint <= Character.MAX_SURROGATE
        ? '\uFFFD'
        : codePoint;
  }
}
