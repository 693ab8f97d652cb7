package dev.muster.api.http;

import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Answers requests the server cannot even parse (a header or URI over Pekko's limits, a broken
 * request line), which never reach a route, with the same error body as {@link ApiErrors}. Pekko
 * creates it by class name: {@link HttpServer} sets {@code parsing.error-handler} to it.
 */
public final class JsonParsingErrorHandler extends ParsingErrorHandler {

  @Override
  public HttpResponse handle(
      StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
    log.warning("Illegal request, answered {}: {}", status.intValue(), info.formatPretty());
    String code =
        status.intValue() == 413 ? ApiErrors.PAYLOAD_TOO_LARGE : ApiErrors.INVALID_REQUEST;
    return ApiErrors.response(status, code, info.summary());
  }
}
