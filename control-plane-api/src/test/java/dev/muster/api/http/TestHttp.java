package dev.muster.api.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.muster.api.TestAuth;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.http.javadsl.ServerBinding;

/** A real HTTP client for the tests: java.net.http against a server bound on 127.0.0.1. */
final class TestHttp {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
  private final URI base;

  TestHttp(ServerBinding binding) {
    this.base = URI.create("http://127.0.0.1:" + binding.localAddress().getPort());
  }

  /** Test configuration: local actors, SLF4J logging, the API on a free loopback port. */
  static Config config(String overrides) {
    return ConfigFactory.parseString(overrides)
        .withFallback(
            ConfigFactory.parseString(
                """
                pekko.loggers = ["org.apache.pekko.event.slf4j.Slf4jLogger"]
                pekko.logging-filter = "org.apache.pekko.event.slf4j.Slf4jLoggingFilter"
                pekko.loglevel = INFO
                muster.http.host = "127.0.0.1"
                muster.http.port = 0
                """))
        .withFallback(ConfigFactory.load())
        .resolve();
  }

  /** The status, the body as JSON (null when empty) and the raw response. */
  record Reply(int status, JsonNode json, java.net.http.HttpResponse<String> raw) {
    List<String> header(String name) {
      return raw.headers().allValues(name);
    }

    String errorCode() {
      return json.path("error").path("code").asText();
    }

    String errorMessage() {
      return json.path("error").path("message").asText();
    }
  }

  Reply get(String path) {
    return send(HttpRequest.newBuilder(base.resolve(path)).GET());
  }

  Reply getWithHeader(String path, String name, String value) {
    return send(HttpRequest.newBuilder(base.resolve(path)).header(name, value).GET());
  }

  Reply postJson(String path, String body) {
    return post(path, "application/json", body);
  }

  Reply post(String path, String contentType, String body) {
    return send(
        HttpRequest.newBuilder(base.resolve(path))
            .header("Content-Type", contentType)
            .POST(BodyPublishers.ofString(body)));
  }

  Reply postJsonBytes(String path, byte[] body) {
    return send(
        HttpRequest.newBuilder(base.resolve(path))
            .header("Content-Type", "application/json")
            .POST(BodyPublishers.ofByteArray(body)));
  }

  Reply method(String method, String path) {
    return send(HttpRequest.newBuilder(base.resolve(path)).method(method, BodyPublishers.noBody()));
  }

  private Reply send(HttpRequest.Builder request) {
    try {
      var response =
          client.send(
              request
                  .header("Authorization", TestAuth.bearer(TestAuth.operator()))
                  .timeout(TIMEOUT)
                  .build(),
              BodyHandlers.ofString());
      JsonNode json = response.body().isEmpty() ? null : JSON.readTree(response.body());
      return new Reply(response.statusCode(), json, response);
    } catch (IOException e) {
      throw new AssertionError("HTTP request failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
