package dev.muster.api.participants;

import com.fasterxml.jackson.databind.JsonNode;
import dev.muster.api.http.ApiException;
import dev.muster.registry.inbox.Inbox;
import dev.muster.registry.participant.Participant;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** The participant API's request and response bodies (snake_case on the wire). */
final class ParticipantApi {
  private ParticipantApi() {}

  private static final int MAX_NAMES = 100;
  private static final int MAX_NAME_LENGTH = 200;

  record RegisterRequest(
      String workspace,
      String kind,
      List<String> capabilities,
      List<String> roles,
      Integer maxConcurrentAttempts) {

    Participant.Registration toRegistration(int defaultMaxConcurrentAttempts) {
      String ws = requireName("workspace", workspace);
      int max =
          maxConcurrentAttempts == null ? defaultMaxConcurrentAttempts : maxConcurrentAttempts;
      if (max < 1 || max > 10_000) {
        throw ApiException.invalid("max_concurrent_attempts must be between 1 and 10000");
      }
      return new Participant.Registration(
          ws, parseKind(kind), names("roles", roles), names("capabilities", capabilities), max);
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
      Instant registeredAt,
      Optional<Instant> lastHeartbeat) {

    static ParticipantResponse of(Participant.View view) {
      return new ParticipantResponse(
          view.id(),
          view.workspace(),
          wire(view.kind()),
          wire(view.status()),
          new TreeSet<>(view.roles()),
          new TreeSet<>(view.capabilities()),
          view.maxConcurrentAttempts(),
          view.registeredAt(),
          view.lastHeartbeat());
    }
  }

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
          wire(m.type()),
          m.missionId(),
          m.attempt(),
          m.createdAt(),
          m.payload());
    }
  }

  record AckResponse(String messageId, boolean acked, boolean duplicate) {}

  static String wire(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  private static Participant.Kind parseKind(String text) {
    if (text == null) {
      return Participant.Kind.FLEET_WORKER;
    }
    try {
      return Participant.Kind.valueOf(text.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(
          "kind must be one of hosted_worker, external_agent, connected_runtime, fleet_worker,"
              + " reviewer, arbiter; got '"
              + text
              + "'");
    }
  }

  static String requireName(String field, String value) {
    if (value == null || value.isBlank()) {
      throw ApiException.invalid(field + " is required");
    }
    if (value.length() > MAX_NAME_LENGTH) {
      throw ApiException.invalid(field + " is longer than " + MAX_NAME_LENGTH + " characters");
    }
    return value;
  }

  static Set<String> names(String field, List<String> values) {
    if (values == null) {
      return Set.of();
    }
    if (values.size() > MAX_NAMES) {
      throw ApiException.invalid(field + " has more than " + MAX_NAMES + " entries");
    }
    Set<String> names = new TreeSet<>();
    for (String value : values) {
      names.add(requireName(field + " entries", value));
    }
    return names;
  }
}
