package dev.muster.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What the node under test supports, found out by asking it: the attempt failure route (retries),
 * split missions, budgets. A route that answers 404/405, or a body field the strict JSON reader
 * refuses, means "not available in this build".
 */
record Features(boolean fail, boolean split, boolean budgets) {

  static Features probe(Http http) {
    String capability = "bench-probe-" + UUID.randomUUID();
    Http.Response participant =
        http.await(
            http.post(
                "/api/v1/participants",
                Map.of(
                    "workspace",
                    "bench-probe",
                    "capabilities",
                    List.of(capability),
                    "max_concurrent_attempts",
                    10)));
    String pid = participant.text("id");
    boolean split =
        http.await(
                http.post(
                    "/api/v1/missions",
                    Map.of(
                        "workspace",
                        "bench-probe",
                        "title",
                        "probe",
                        "required_capabilities",
                        List.of(capability + "-nobody"),
                        "split",
                        Map.of(
                            "join",
                            "all",
                            "children",
                            List.of(
                                Map.of(
                                    "title",
                                    "c",
                                    "required_capabilities",
                                    List.of(capability + "-nobody")))))))
            .ok();
    boolean budgets =
        http.await(http.put("/api/v1/budgets/bench-probe", Map.of("limit", 1_000_000_000))).ok();
    boolean fail = probeFail(http, pid, capability);
    return new Features(fail, split, budgets);
  }

  private static boolean probeFail(Http http, String pid, String capability) {
    Http.Response mission =
        http.await(
            http.post(
                "/api/v1/missions",
                Map.of(
                    "workspace",
                    "bench-probe",
                    "title",
                    "probe",
                    "required_capabilities",
                    List.of(capability))));
    if (!mission.ok()) {
      return false;
    }
    // The capability index may need a refresh interval to see the new participant.
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      Http.Response inbox =
          http.await(
              http.get(
                  "/api/v1/participants/" + pid + "/inbox?wait=2s&max=10", Duration.ofSeconds(10)));
      for (JsonNode m : inbox.body().path("messages")) {
        http.await(
            http.post(
                "/api/v1/participants/" + pid + "/inbox/" + m.path("message_id").asText() + "/ack",
                Map.of()));
        int status =
            http.await(
                    http.post(
                        "/api/v1/missions/"
                            + m.path("mission_id").asText()
                            + "/attempts/"
                            + m.path("attempt").asInt()
                            + "/fail",
                        Map.of("reason", "probe", "retryable", false, "cleanup_status", "clean")))
                .status();
        return status != 404 && status != 405;
      }
    }
    return false;
  }
}
