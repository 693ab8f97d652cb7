package dev.muster.api.participants;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.muster.api.http.ApiException;
import dev.muster.api.http.Fields;
import dev.muster.api.identity.Tokens;
import dev.muster.registry.inbox.Inbox;
import dev.muster.registry.participant.CapabilityManifest;
import dev.muster.registry.participant.Changes;
import dev.muster.registry.participant.EscalationPosture;
import dev.muster.registry.participant.Kind;
import dev.muster.registry.participant.Registration;
import dev.muster.registry.participant.Status;
import dev.muster.registry.participant.View;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** The participant API's request and response bodies (snake_case on the wire). */
final class ParticipantApi {
  private ParticipantApi() {}

  private static final int MAX_CONCURRENT_ATTEMPTS = 10_000;
  private static final int MAX_ESCALATION_ATTEMPTS = 1_000;

  /**
   * A registration. {@code max_concurrent_attempts} may be given at the top (as in the first
   * release) or under {@code boundaries}; given in both, they must agree. Without {@code
   * capabilities}, the manifest's capability names are the participant's capabilities.
   */
  record RegisterRequest(
      String workspace,
      String kind,
      List<String> capabilities,
      List<String> roles,
      Integer maxConcurrentAttempts,
      List<String> grants,
      BoundariesBody boundaries,
      EscalationBody escalation,
      ManifestBody capabilityManifest) {

    Registration toRegistration(int defaultMaxConcurrentAttempts) {
      String ws = Fields.name("workspace", workspace);
      int max =
          maxConcurrent(
              agreedMaxConcurrentAttempts(maxConcurrentAttempts, boundaries)
                  .orElse(defaultMaxConcurrentAttempts));
      CapabilityManifest manifest =
          capabilityManifest == null ? CapabilityManifest.NONE : capabilityManifest.toManifest();
      Set<String> declared =
          capabilities == null ? manifest.names() : Fields.names("capabilities", capabilities);
      Optional<BoundariesBody> bounds = Optional.ofNullable(boundaries);
      return new Registration(
          ws,
          parseKind(kind),
          Fields.names("roles", roles),
          declared,
          max,
          Fields.names("grants", grants),
          bounds.flatMap(
              b ->
                  Optional.ofNullable(b.budgetScope())
                      .map(v -> Fields.budgetScope("boundaries.budget_scope", v))),
          bounds.flatMap(b -> Fields.optionalName("boundaries.trust_zone", b.trustZone())),
          escalation == null ? EscalationPosture.NONE : escalation.toEscalation(),
          manifest);
    }
  }

  /** A partial update: what is present replaces the current value; absent fields stay. */
  record UpdateRequest(
      List<String> roles,
      List<String> capabilities,
      Integer maxConcurrentAttempts,
      List<String> grants,
      BoundariesBody boundaries,
      EscalationBody escalation,
      ManifestBody capabilityManifest) {

    Changes toChanges() {
      Changes changes = Changes.NONE;
      if (roles != null) {
        changes = changes.withRoles(Fields.names("roles", roles));
      }
      if (capabilities != null) {
        changes = changes.withCapabilities(Fields.names("capabilities", capabilities));
      }
      if (grants != null) {
        changes = changes.withGrants(Fields.names("grants", grants));
      }
      Optional<Integer> max = agreedMaxConcurrentAttempts(maxConcurrentAttempts, boundaries);
      if (max.isPresent()) {
        changes = changes.withMaxConcurrentAttempts(maxConcurrent(max.get()));
      }
      if (boundaries != null) {
        changes =
            changes
                .withBudgetScope(
                    Optional.ofNullable(boundaries.budgetScope())
                        .map(v -> Fields.budgetScope("boundaries.budget_scope", v)))
                .withTrustZone(
                    Fields.optionalName("boundaries.trust_zone", boundaries.trustZone()));
      }
      if (escalation != null) {
        changes = changes.withEscalation(escalation.toEscalation());
      }
      if (capabilityManifest != null) {
        changes = changes.withManifest(capabilityManifest.toManifest());
      }
      if (changes.isEmpty()) {
        throw ApiException.invalid("the update changes nothing: give at least one field");
      }
      return changes;
    }
  }

  record BoundariesBody(Integer maxConcurrentAttempts, String budgetScope, String trustZone) {}

  /** {@code after_attempts} defaults to 1 when {@code escalate_to} is given. */
  record EscalationBody(String escalateTo, Integer afterAttempts) {
    EscalationPosture toEscalation() {
      Optional<String> to = Fields.optionalName("escalation.escalate_to", escalateTo);
      int after = afterAttempts == null ? (to.isPresent() ? 1 : 0) : afterAttempts;
      if (after < 0 || after > MAX_ESCALATION_ATTEMPTS) {
        throw ApiException.invalid(
            "escalation.after_attempts must be between 0 and "
                + MAX_ESCALATION_ATTEMPTS
                + ", got "
                + after);
      }
      return new EscalationPosture(to, after);
    }
  }

  record ManifestBody(String executionMode, String trustZone, List<String> capabilities) {
    CapabilityManifest toManifest() {
      return new CapabilityManifest(
          Fields.optionalName("capability_manifest.execution_mode", executionMode),
          Fields.optionalName("capability_manifest.trust_zone", trustZone),
          Fields.names("capability_manifest.capabilities", capabilities));
    }
  }

  record StandDownRequest(String reason) {
    String checkedReason() {
      return Fields.text("reason", reason, true);
    }
  }

  record ParticipantResponse(
      String id,
      String workspace,
      String kind,
      String status,
      Set<String> roles,
      Set<String> capabilities,
      int maxConcurrentAttempts,
      Set<String> grants,
      BoundariesResponse boundaries,
      EscalationResponse escalation,
      ManifestResponse capabilityManifest,
      Set<String> approvalRequired,
      Instant registeredAt,
      Optional<Instant> lastHeartbeat,
      Optional<String> standDownReason,
      Optional<CredentialResponse> credential) {

    /** The answer to a registration: with the participant's own credential, shown this once. */
    ParticipantResponse withCredential(Tokens.Minted minted) {
      return new ParticipantResponse(
          id,
          workspace,
          kind,
          status,
          roles,
          capabilities,
          maxConcurrentAttempts,
          grants,
          boundaries,
          escalation,
          capabilityManifest,
          approvalRequired,
          registeredAt,
          lastHeartbeat,
          standDownReason,
          Optional.of(
              new CredentialResponse(
                  minted.token(), minted.principal().jti(), minted.principal().expiresAt())));
    }

    static ParticipantResponse of(View view) {
      return new ParticipantResponse(
          view.id(),
          view.workspace(),
          view.kind().wire(),
          view.status().wire(),
          new TreeSet<>(view.roles()),
          new TreeSet<>(view.capabilities()),
          view.maxConcurrentAttempts(),
          new TreeSet<>(view.grants()),
          new BoundariesResponse(
              view.maxConcurrentAttempts(), view.budgetScope(), view.trustZone()),
          new EscalationResponse(view.escalation().escalateTo(), view.escalation().afterAttempts()),
          new ManifestResponse(
              view.manifest().executionMode(),
              view.manifest().trustZone(),
              new TreeSet<>(view.manifest().capabilities())),
          new TreeSet<>(view.approvalRequired()),
          view.registeredAt(),
          view.lastHeartbeat(),
          view.standDownReason(),
          Optional.empty());
    }
  }

  /** A participant's own credential: the token (shown once), its id and expiry. */
  record CredentialResponse(String token, String jti, Instant expiresAt) {}

  record BoundariesResponse(
      int maxConcurrentAttempts, Optional<String> budgetScope, Optional<String> trustZone) {}

  record EscalationResponse(Optional<String> escalateTo, int afterAttempts) {}

  record ManifestResponse(
      Optional<String> executionMode, Optional<String> trustZone, Set<String> capabilities) {}

  record ParticipantList(
      List<ParticipantResponse> participants,
      @JsonInclude(JsonInclude.Include.ALWAYS) String nextCursor) {}

  record InboxResponse(List<MessageResponse> messages) {
    static InboxResponse of(Inbox.Delivery delivery) {
      return new InboxResponse(delivery.messages().stream().map(MessageResponse::of).toList());
    }
  }

  record MessageResponse(
      String messageId,
      long seq,
      String type,
      String missionId,
      int attempt,
      Instant createdAt,
      JsonNode payload) {
    static MessageResponse of(Inbox.Message m) {
      return new MessageResponse(
          m.messageId(),
          m.seq(),
          m.type().name().toLowerCase(Locale.ROOT),
          m.missionId(),
          m.attempt(),
          m.createdAt(),
          m.payload());
    }
  }

  record AckResponse(String messageId, boolean acked, boolean duplicate) {}

  static Optional<Status> parseStatus(Optional<String> text) {
    return text.filter(t -> !t.isBlank()).map(ParticipantApi::parseStatus);
  }

  private static Status parseStatus(String text) {
    try {
      return Status.valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(
          "query parameter 'status' must be one of active, draining, offline, stood_down; got '"
              + text
              + "'");
    }
  }

  private static Kind parseKind(String text) {
    if (text == null) {
      return Kind.FLEET_WORKER;
    }
    try {
      return Kind.valueOf(text.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(
          "kind must be one of hosted_worker, external_agent, connected_runtime, fleet_worker,"
              + " reviewer, arbiter; got '"
              + text
              + "'");
    }
  }

  private static int maxConcurrent(int max) {
    if (max < 1 || max > MAX_CONCURRENT_ATTEMPTS) {
      throw ApiException.invalid(
          "max_concurrent_attempts must be between 1 and " + MAX_CONCURRENT_ATTEMPTS);
    }
    return max;
  }

  /**
   * The limit a body gives, at the top or in its boundaries (both only if they agree): a
   * registration and an update read it the same way.
   */
  private static Optional<Integer> agreedMaxConcurrentAttempts(
      Integer topLevel, BoundariesBody boundaries) {
    Optional<Integer> boundaryMax =
        Optional.ofNullable(boundaries).map(BoundariesBody::maxConcurrentAttempts);
    if (topLevel != null && boundaryMax.isPresent() && !boundaryMax.get().equals(topLevel)) {
      throw ApiException.invalid(
          "max_concurrent_attempts and boundaries.max_concurrent_attempts differ");
    }
    return Optional.ofNullable(topLevel).or(() -> boundaryMax);
  }
}
