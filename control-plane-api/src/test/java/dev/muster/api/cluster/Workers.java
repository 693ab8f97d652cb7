package dev.muster.api.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.muster.api.ApiClient.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * In-test fleet workers: each polls its participant's inbox, acks each task offer and completes the
 * attempt reporting a usage of 1, through a {@link SpreadClient} (any node; retried on another node
 * on failure).
 */
final class Workers implements AutoCloseable {
  private final SpreadClient api;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicInteger completed = new AtomicInteger();
  private final List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();

  Workers(SpreadClient api) {
    this.api = api;
  }

  /** Registers a participant with {@code capability} and starts its worker; returns its id. */
  String start(String workspace, String capability, String key) {
    Response registered =
        api.post(
            "/api/v1/participants",
            "{\"workspace\":\""
                + workspace
                + "\",\"capabilities\":[\""
                + capability
                + "\"],\"roles\":[\"worker\"],\"max_concurrent_attempts\":1000}",
            key);
    if (registered.status() != 201) {
      throw new AssertionError("register: " + registered);
    }
    String id = registered.body().get("id").asText();
    startPolling(id);
    return id;
  }

  /** Starts a worker for an already registered participant. */
  void startPolling(String participantId) {
    Thread thread = new Thread(() -> work(participantId), "worker-" + participantId);
    thread.setDaemon(true);
    threads.add(thread);
    thread.start();
  }

  int completed() {
    return completed.get();
  }

  List<Throwable> failures() {
    return failures;
  }

  private void work(String participantId) {
    while (running.get()) {
      try {
        Response delivery =
            api.get("/api/v1/participants/" + participantId + "/inbox?wait=1s&max=20");
        if (delivery.status() != 200) {
          continue;
        }
        for (JsonNode message : delivery.body().get("messages")) {
          handle(participantId, message);
        }
      } catch (RuntimeException e) {
        if (running.get()) {
          failures.add(e);
        }
      }
    }
  }

  private void handle(String participantId, JsonNode message) {
    Response acked =
        api.post(
            "/api/v1/participants/"
                + participantId
                + "/inbox/"
                + message.get("message_id").asText()
                + "/ack",
            "");
    if (acked.status() != 200 || !"task_offer".equals(message.get("type").asText())) {
      return;
    }
    Response done =
        api.post(
            "/api/v1/missions/"
                + message.get("mission_id").asText()
                + "/attempts/"
                + message.get("attempt").asInt()
                + "/complete",
            "{\"result\":{\"by\":\"" + participantId + "\"},\"usage\":{\"cost\":1}}");
    if (done.status() == 200) {
      completed.incrementAndGet();
    }
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    for (Thread thread : threads) {
      thread.join(30_000);
    }
  }
}
