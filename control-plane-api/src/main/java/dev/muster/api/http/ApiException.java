package dev.muster.api.http;

import dev.muster.config.Rejection;
import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * A request the API refuses, with the status and error code to answer. Routes throw it for bad
 * input; {@link ApiErrors#handle} turns it into the error body. It is the client's fault, not a
 * failure of the server, so it carries no stack trace and is not logged as an error.
 */
public final class ApiException extends RuntimeException {
  private final StatusCode status;
  private final String code;
  private final List<HttpHeader> headers;

  public ApiException(StatusCode status, String code, String message) {
    this(status, code, message, List.of());
  }

  /**
   * A refusal answered with {@code headers} too ({@code WWW-Authenticate}, {@code Retry-After}).
   */
  public ApiException(StatusCode status, String code, String message, List<HttpHeader> headers) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.headers = List.copyOf(headers);
  }

  /** 400 {@code invalid_request}: the request is well-formed but its content is not acceptable. */
  public static ApiException invalid(String message) {
    return new ApiException(StatusCodes.BAD_REQUEST, ApiErrors.INVALID_REQUEST, message);
  }

  /** 404 {@code not_found}; also the answer for another workspace's objects. */
  public static ApiException notFound(String message) {
    return new ApiException(StatusCodes.NOT_FOUND, ApiErrors.NOT_FOUND, message);
  }

  /** 409 {@code conflict}: the request contradicts the current state. */
  public static ApiException conflict(String message) {
    return new ApiException(StatusCodes.CONFLICT, ApiErrors.CONFLICT, message);
  }

  /** A read model that is still folding the journal after a start: 503, retry shortly. */
  public static ApiException loading(String what) {
    return new ApiException(
        StatusCodes.SERVICE_UNAVAILABLE,
        ApiErrors.UNAVAILABLE,
        what + " is still loading from the journal; retry shortly");
  }

  /** 403 {@code forbidden}: the caller may not act there. */
  public static ApiException forbidden(String message) {
    return new ApiException(StatusCodes.FORBIDDEN, ApiErrors.FORBIDDEN, message);
  }

  /** An entity's refusal ({@link Rejection}) as the API answers it. */
  public static ApiException of(Rejection rejection) {
    return new ApiException(
        ApiErrors.statusFor(rejection.code()), rejection.code().wire(), rejection.message());
  }

  public StatusCode status() {
    return status;
  }

  public String code() {
    return code;
  }

  public List<HttpHeader> headers() {
    return headers;
  }

  public ErrorBody body() {
    return ErrorBody.of(code, getMessage());
  }
}
