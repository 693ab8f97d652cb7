package dev.muster.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.muster.api.ApiClient.Response;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-test worker speaking Muster's HTTP protocol: it registers as a participant, long-polls its
 * inbox, acks every message, and answers each task offer as its {@link Plan} says. It keeps going
 * through node restarts (a refused connection is retried), records the stand-downs it receives, and
 * heartbeats the attempts it holds until it is told to stand down.
 */
public final class TestWorker implements AutoCloseable {

  /** What the worker does with one offer. */
  public enum Plan {
    /** Complete at once with {@code {"by": <participant id>}}. */
    COMPLETE,
    /** Report a retryable failure. */
    FAIL,
    /** Ack and then go silent: no heartbeat, no report. */
    SILENT,
    /** Keep heartbeating until told to stand down. */
    HOLD
  }

  /** Chooses the plan for the worker's {@code nth} offer (1-based). */
  @FunctionalInterface
  public interface Planner {
    Plan plan(int nth, JsonNode offer);
  }

  private final ApiClient api;
  private final Planner planner;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicInteger offersSeen = new AtomicInteger();
  private final Map<String, Integer> held = new ConcurrentHashMap<>();
  public final List<JsonNode> offers = new CopyOnWriteArrayList<>();
  public final List<JsonNode> standDowns = new CopyOnWriteArrayList<>();
  public final String id;
  private final Thread thread;

  public TestWorker(
      InetSocketAddress node, String workspace, Set<String> capabilities, Planner planner) {
    this.api = new ApiClient(node);
    this.planner = planner;
    Response registered =
        api.post(
            "/api/v1/participants",
            "{\"workspace\":\""
                + workspace
                + "\",\"capabilities\":"
                + names(capabilities)
                + ",\"roles\":[\"worker\"],\"max_concurrent_attempts\":10}");
    if (registered.status() != 201) {
      throw new IllegalStateException("registration failed: " + registered);
    }
    this.id = registered.body().get("id").asText();
    this.thread = new Thread(this::loop, "test-worker-" + id);
    thread.setDaemon(true);
    thread.start();
  }

  public static TestWorker always(
      InetSocketAddress node, String workspace, Set<String> capabilities, Plan plan) {
    return new TestWorker(node, workspace, capabilities, (nth, offer) -> plan);
  }

  /** Whether this worker was told to stand down from {@code missionId}. */
  public boolean stoodDownFrom(String missionId) {
    return standDowns.stream().anyMatch(m -> m.get("mission_id").asText().equals(missionId));
  }

  private void loop() {
    while (running.get()) {
      try {
        Response polled = api.get("/api/v1/participants/" + id + "/inbox?wait=300ms&max=10");
        if (polled.status() == 200) {
          for (JsonNode message : polled.body().get("messages")) {
            handle(message);
          }
        }
        heartbeatHeld();
      } catch (RuntimeException nodeAway) {
        pause();
      }
    }
  }

  private void handle(JsonNode message) {
    api.post(
        "/api/v1/participants/" + id + "/inbox/" + message.get("message_id").asText() + "/ack", "");
    String mission = message.get("mission_id").asText();
    int attempt = message.get("attempt").asInt();
    String attemptPath = "/api/v1/missions/" + mission + "/attempts/" + attempt;
    switch (message.get("type").asText()) {
      case "stand_down" -> {
        standDowns.add(message);
        held.remove(mission);
      }
      case "task_offer" -> {
        offers.add(message);
        switch (planner.plan(offersSeen.incrementAndGet(), message)) {
          case COMPLETE ->
              api.post(
                  attemptPath + "/complete",
                  "{\"result\":{\"by\":\"" + id + "\"},\"usage\":{\"cost\":1}}");
          case FAIL ->
              api.post(
                  attemptPath + "/fail",
                  "{\"reason\":\"flaky\",\"retryable\":true,\"cleanup_status\":\"clean\"}");
          case HOLD -> held.put(mission, attempt);
          case SILENT -> {}
        }
      }
      default -> {}
    }
  }

  private void heartbeatHeld() {
    held.forEach(
        (mission, attempt) -> {
          Response beat =
              api.post(
                  "/api/v1/missions/" + mission + "/attempts/" + attempt + "/heartbeat",
                  "{\"progress\":0.5}");
          if (beat.status() == 409) {
            held.remove(mission); // stale: the coordinator moved on
          }
        });
  }

  private static void pause() {
    try {
      Thread.sleep(100); // the node is restarting: poll again shortly
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String names(Set<String> names) {
    return names.stream().map(n -> "\"" + n + "\"").toList().toString();
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    thread.join(5_000);
  }
}
