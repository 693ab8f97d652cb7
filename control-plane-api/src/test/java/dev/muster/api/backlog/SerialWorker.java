package dev.muster.api.backlog;

import com.fasterxml.jackson.databind.JsonNode;
import dev.muster.api.ApiClient;
import dev.muster.api.ApiClient.Response;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A worker as a new user writes one: registered with some capacity, it long-polls its inbox, acks
 * every message, works on the offers for {@code workFor} and completes them, then polls again. It
 * takes whatever the inbox holds, so if the backlog ever offered it more than its capacity it would
 * see them together. It records when each offer arrived and when it completed it, and the most
 * attempts it ever held at once, so a test can say whether the backlog kept it busy and within its
 * capacity.
 */
final class SerialWorker implements AutoCloseable {
  /** One offer: which mission, when it arrived and when the worker completed it (nanoTime). */
  record Taken(String missionId, long receivedAt, long completedAt) {}

  final String id;
  final Set<String> capabilities;
  final int capacity;
  final List<Taken> taken = new CopyOnWriteArrayList<>();
  final List<String> problems = new CopyOnWriteArrayList<>();
  private final ApiClient api;
  private final long workForMillis;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicInteger mostHeld = new AtomicInteger();
  private final Thread thread;

  SerialWorker(
      InetSocketAddress node,
      String workspace,
      Set<String> capabilities,
      int capacity,
      long workForMillis) {
    this.api = new ApiClient(node);
    this.capabilities = Set.copyOf(capabilities);
    this.capacity = capacity;
    this.workForMillis = workForMillis;
    Response registered =
        api.post(
            "/api/v1/participants",
            "{\"workspace\":\""
                + workspace
                + "\",\"capabilities\":"
                + capabilities.stream().map(c -> "\"" + c + "\"").toList()
                + ",\"max_concurrent_attempts\":"
                + capacity
                + "}");
    if (registered.status() != 201) {
      throw new IllegalStateException("registration failed: " + registered);
    }
    this.id = registered.body().get("id").asText();
    this.thread = new Thread(this::loop, "serial-worker-" + id);
    thread.setDaemon(true);
    thread.start();
  }

  int mostHeld() {
    return mostHeld.get();
  }

  List<String> missions() {
    return taken.stream().map(Taken::missionId).toList();
  }

  private void loop() {
    long lastBeat = 0;
    while (running.get()) {
      try {
        if (System.nanoTime() - lastBeat > 5_000_000_000L) {
          api.post("/api/v1/participants/" + id + "/heartbeat", "");
          lastBeat = System.nanoTime();
        }
        Response polled = api.get("/api/v1/participants/" + id + "/inbox?wait=2s&max=100");
        if (polled.status() != 200) {
          problems.add("poll: " + polled);
          continue;
        }
        List<JsonNode> offers = new ArrayList<>();
        long receivedAt = System.nanoTime();
        for (JsonNode message : polled.body().get("messages")) {
          Response acked =
              api.post(
                  "/api/v1/participants/"
                      + id
                      + "/inbox/"
                      + message.get("message_id").asText()
                      + "/ack",
                  "");
          if (acked.status() != 200) {
            problems.add("ack: " + acked);
          }
          if (message.get("type").asText().equals("task_offer")) {
            offers.add(message);
          }
        }
        mostHeld.accumulateAndGet(offers.size(), Math::max);
        if (!offers.isEmpty() && workForMillis > 0) {
          Thread.sleep(workForMillis);
        }
        for (JsonNode offer : offers) {
          String mission = offer.get("mission_id").asText();
          String path = "/api/v1/missions/" + mission + "/attempts/" + offer.get("attempt").asInt();
          Response done = api.post(path + "/complete", "{\"result\":{\"by\":\"" + id + "\"}}");
          if (done.status() != 200) {
            problems.add("complete " + mission + ": " + done);
          }
          taken.add(new Taken(mission, receivedAt, System.nanoTime()));
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        if (running.get()) {
          problems.add(e.toString());
        }
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    thread.join(10_000);
  }
}
