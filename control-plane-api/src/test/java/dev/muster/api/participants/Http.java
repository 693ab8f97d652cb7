package dev.muster.api.participants;

import dev.muster.api.ApiClient;
import dev.muster.api.ApiClient.Response;
import dev.muster.api.TestAuth;
import java.net.http.HttpRequest;

/** Requests with the participant API's headers, over a real {@link ApiClient}. */
final class Http {
  private final ApiClient api;
  private final String[] headers;

  Http(ApiClient api, String... headers) {
    this.api = api;
    this.headers = headers;
  }

  /** The same client calling with {@code workspace}'s token. */
  Http inWorkspace(String workspace) {
    return new Http(api, "Authorization", TestAuth.bearer(TestAuth.workspace(workspace)));
  }

  /** The same client calling with an operator token whose subject is {@code actor}. */
  Http as(String actor) {
    return new Http(api, "Authorization", TestAuth.bearer(TestAuth.operator(actor)));
  }

  Response get(String path) {
    return api.send(builder(path).GET());
  }

  Response post(String path, String json) {
    return api.send(
        builder(path)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  Response patch(String path, String json) {
    return api.send(
        builder(path)
            .header("Content-Type", "application/json")
            .method("PATCH", HttpRequest.BodyPublishers.ofString(json)));
  }

  private HttpRequest.Builder builder(String path) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(api.uri(path));
    return headers.length == 0 ? builder : builder.headers(headers);
  }
}
