package dev.muster.api.missions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.muster.api.http.ApiException;
import dev.muster.coordinator.model.Attempt;
import dev.muster.coordinator.model.MissionSpec;
import dev.muster.coordinator.model.MissionState;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** The mission API's request and response bodies (snake_case on the wire). */
final class MissionApi {
  private MissionApi() {}

  private static final int MAX_NAMES = 100;
  private static final int MAX_TEXT = 1000;

  record SubmitRequest(
      String workspace,
      String title,
      List<String> requiredCapabilities,
      List<String> requiredRoles,
      JsonNode input) {

    MissionSpec toSpec() {
      return new MissionSpec(
          text("workspace", workspace, true),
          text("title", title, true),
          names("required_capabilities", requiredCapabilities),
          names("required_roles", requiredRoles),
          input == null ? NullNode.instance : input);
    }
  }

  record CompleteRequest(JsonNode result, JsonNode usage) {
    JsonNode resultOrNull() {
      return result == null ? NullNode.instance : result;
    }
  }

  record MissionResponse(
      String id,
      String workspace,
      String title,
      String state,
      Set<String> requiredCapabilities,
      Set<String> requiredRoles,
      JsonNode input,
      Optional<JsonNode> result,
      List<AttemptResponse> attempts,
      List<DecisionResponse> decisions,
      Instant submittedAt,
      Instant updatedAt) {

    static MissionResponse of(MissionState m) {
      Optional<JsonNode> result =
          m.attempts().stream()
              .filter(a -> a.state() == Attempt.State.SUCCEEDED)
              .findFirst()
              .map(Attempt::result);
      return new MissionResponse(
          m.id(),
          m.spec().workspace(),
          m.spec().title(),
          m.phase().wire(),
          new TreeSet<>(m.spec().requiredCapabilities()),
          new TreeSet<>(m.spec().requiredRoles()),
          m.spec().input(),
          result,
          m.attempts().stream().map(AttemptResponse::of).toList(),
          m.decisions().stream().map(DecisionResponse::of).toList(),
          m.submittedAt(),
          m.updatedAt());
    }
  }

  record AttemptResponse(
      int attempt,
      String participantId,
      String state,
      Instant offeredAt,
      Optional<Instant> acceptedAt,
      Optional<Instant> endedAt) {
    static AttemptResponse of(Attempt a) {
      return new AttemptResponse(
          a.number(),
          a.participantId(),
          a.state().wire(),
          a.offeredAt(),
          a.acceptedAt(),
          a.endedAt());
    }
  }

  record DecisionResponse(String decision, String reason, Map<String, Object> inputs, Instant at) {
    static DecisionResponse of(MissionState.DecisionRecord record) {
      return new DecisionResponse(
          record.decision().kind().wire(),
          record.decision().reason(),
          record.decision().inputs(),
          record.at());
    }
  }

  private static String text(String field, String value, boolean required) {
    if (value == null || value.isBlank()) {
      if (required) {
        throw ApiException.invalid(field + " is required");
      }
      return "";
    }
    if (value.length() > MAX_TEXT) {
      throw ApiException.invalid(field + " is longer than " + MAX_TEXT + " characters");
    }
    return value;
  }

  private static Set<String> names(String field, List<String> values) {
    if (values == null) {
      return Set.of();
    }
    if (values.size() > MAX_NAMES) {
      throw ApiException.invalid(field + " has more than " + MAX_NAMES + " entries");
    }
    Set<String> names = new TreeSet<>();
    for (String value : values) {
      names.add(text(field + " entries", value, true));
    }
    return names;
  }
}
