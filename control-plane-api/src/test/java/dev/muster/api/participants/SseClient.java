package dev.muster.api.participants;

import dev.muster.api.TestAuth;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal Server-Sent Events client for tests: reads the stream line by line on its own thread,
 * hands out events (an {@code id:} and the {@code data:} lines up to a blank line) and counts
 * heartbeats (comment lines, or events without data). Closing it drops the connection.
 */
final class SseClient implements AutoCloseable {
  record Event(String id, String data) {}

  private final HttpResponse<InputStream> response;
  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private final AtomicInteger heartbeats = new AtomicInteger();
  private final Thread reader;

  private SseClient(HttpResponse<InputStream> response) {
    this.response = response;
    this.reader = new Thread(this::read, "sse-client");
    reader.setDaemon(true);
    reader.start();
  }

  static SseClient open(URI uri, String... headers) throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri).header("Accept", "text/event-stream").GET();
    if (headers.length > 0) {
      request.headers(headers);
    }
    boolean authorized = false;
    for (int i = 0; i < headers.length; i += 2) {
      authorized |= headers[i].equalsIgnoreCase("Authorization");
    }
    if (!authorized) {
      request.header("Authorization", TestAuth.bearer(TestAuth.operator()));
    }
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
    return new SseClient(client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream()));
  }

  int status() {
    return response.statusCode();
  }

  String contentType() {
    return response.headers().firstValue("Content-Type").orElse("");
  }

  /** The next event with data, or an AssertionError when none comes within {@code timeout}. */
  Event next(Duration timeout) throws InterruptedException {
    Event event = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (event == null) {
      throw new AssertionError("no event within " + timeout);
    }
    return event;
  }

  /** Every event that arrives within {@code quiet} of the one before. */
  List<Event> drain(Duration quiet) throws InterruptedException {
    List<Event> drained = new ArrayList<>();
    Event event;
    while ((event = events.poll(quiet.toMillis(), TimeUnit.MILLISECONDS)) != null) {
      drained.add(event);
    }
    return drained;
  }

  int heartbeats() {
    return heartbeats.get();
  }

  private void read() {
    try (BufferedReader lines =
        new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      String id = null;
      StringBuilder data = new StringBuilder();
      String line;
      while ((line = lines.readLine()) != null) {
        if (line.isEmpty()) {
          if (data.length() == 0) {
            heartbeats.incrementAndGet();
          } else {
            events.add(new Event(id, data.toString()));
          }
          id = null;
          data.setLength(0);
        } else if (line.startsWith(":")) {
          heartbeats.incrementAndGet();
        } else if (line.startsWith("id:")) {
          id = line.substring(3).trim();
        } else if (line.startsWith("data:")) {
          if (data.length() > 0) {
            data.append('\n');
          }
          data.append(line.substring(5).stripLeading());
        }
      }
    } catch (IOException closed) {
      // the test closed the stream
    }
  }

  @Override
  public void close() throws IOException {
    response.body().close();
  }
}
