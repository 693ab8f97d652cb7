package dev.muster.api.http;

import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.handleExceptions;
import static org.apache.pekko.http.javadsl.server.Directives.handleRejections;
import static org.apache.pekko.http.javadsl.server.Directives.withRequestTimeoutResponse;

import dev.muster.config.Rejection;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Allow;
import org.apache.pekko.http.javadsl.server.AuthenticationFailedRejection;
import org.apache.pekko.http.javadsl.server.AuthorizationFailedRejection;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.InvalidRequiredValueForQueryParamRejection;
import org.apache.pekko.http.javadsl.server.MalformedHeaderRejection;
import org.apache.pekko.http.javadsl.server.MalformedQueryParamRejection;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.MissingHeaderRejection;
import org.apache.pekko.http.javadsl.server.MissingQueryParamRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.RequestEntityExpectedRejection;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.server.UnacceptedResponseContentTypeRejection;
import org.apache.pekko.http.javadsl.server.UnsupportedRequestContentTypeRejection;
import org.apache.pekko.http.javadsl.server.ValidationRejection;
import org.apache.pekko.http.scaladsl.model.EntityStreamException;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.http.scaladsl.model.IllegalRequestException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one error mapper of the API: every rejection, refusal and failure of a route becomes {@code
 * {"error":{"code":"...","message":"..."}}} with a stable code and the matching status.
 *
 * <p>Entities refuse commands with a {@link Rejection} ({@link Rejection#reply}); {@link
 * #statusFor} maps each of its codes to one status. {@code inbox_full} answers 429 (back-pressure:
 * the same request may succeed once the participant has drained its inbox). An ask that timed out,
 * or a refusal {@code unavailable}, answers 503: the command may still be applied, so clients retry
 * with the same ids or Idempotency-Key. A body that cannot be read (a broken chunked encoding, a
 * connection cut midway) answers 400. Any other exception answers 500 {@code internal_error} with a
 * generic message; its details stay in the server's log.
 */
public final class ApiErrors {
  public static final String INVALID_REQUEST = "invalid_request";
  public static final String MALFORMED_JSON = "malformed_json";
  public static final String UNAUTHORIZED = "unauthorized";
  public static final String FORBIDDEN = "forbidden";
  public static final String NOT_FOUND = "not_found";
  public static final String METHOD_NOT_ALLOWED = "method_not_allowed";
  public static final String NOT_ACCEPTABLE = "not_acceptable";
  public static final String CONFLICT = "conflict";
  public static final String PAYLOAD_TOO_LARGE = "payload_too_large";
  public static final String UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type";
  public static final String TOO_MANY_REQUESTS = "too_many_requests";
  public static final String INTERNAL_ERROR = "internal_error";
  public static final String UNAVAILABLE = "unavailable";

  private static final Logger log = LoggerFactory.getLogger(ApiErrors.class);

  static final String TIMEOUT_MESSAGE =
      "the request did not complete in time; it may be retried (with the same ids or"
          + " Idempotency-Key)";
  static final String INTERNAL_MESSAGE =
      "the server failed to handle the request; the failure has been logged";

  private static final RejectionHandler REJECTIONS = rejectionHandler();
  private static final ExceptionHandler EXCEPTIONS = exceptionHandler();

  private ApiErrors() {}

  /** The status an entity's refusal is answered with. */
  public static StatusCode statusFor(Rejection.Code code) {
    return switch (code) {
      case INVALID_REQUEST -> StatusCodes.BAD_REQUEST;
      case NOT_FOUND, UNKNOWN_MESSAGE -> StatusCodes.NOT_FOUND;
      case FORBIDDEN -> StatusCodes.FORBIDDEN;
      case CONFLICT, STALE_ATTEMPT, ILLEGAL_TRANSITION, ALREADY_RESOLVED -> StatusCodes.CONFLICT;
      case INBOX_FULL -> StatusCodes.TOO_MANY_REQUESTS;
      case UNAVAILABLE -> StatusCodes.SERVICE_UNAVAILABLE;
      case INTERNAL_ERROR -> StatusCodes.INTERNAL_SERVER_ERROR;
    };
  }

  /** {@code inner} with every rejection and exception answered as an error body. */
  public static Route handle(Route inner) {
    return withRequestTimeoutResponse(
        ApiErrors::requestTimedOut,
        () -> handleExceptions(EXCEPTIONS, () -> handleRejections(REJECTIONS, () -> inner)));
  }

  /** An error response: {@code {"error":{"code":...,"message":...}}} with {@code status}. */
  public static HttpResponse response(StatusCode status, String code, String message) {
    return JsonSupport.response(status, ErrorBody.of(code, message));
  }

  /** Completes with the error of {@code refusal}. */
  public static Route completeError(ApiException refusal) {
    return Directives.complete(
        response(refusal.status(), refusal.code(), refusal.getMessage())
            .addHeaders(refusal.headers()));
  }

  /** Completes with an error body. */
  public static Route completeError(StatusCode status, String code, String message) {
    return Directives.complete(response(status, code, message));
  }

  /** The answer to a route's failure; see the class comment. */
  public static Route failure(Throwable failure) {
    Throwable cause = unwrap(failure);
    if (cause instanceof ApiException refusal) {
      return completeError(refusal);
    }
    if (cause instanceof Rejection.Refusal refused) {
      return refusedByEntity(refused.rejection());
    }
    if (cause instanceof TimeoutException) {
      return extractRequest(
          request -> {
            log.warn(
                "{} {} timed out: {}", request.method().value(), path(request), cause.toString());
            return completeError(StatusCodes.SERVICE_UNAVAILABLE, UNAVAILABLE, TIMEOUT_MESSAGE);
          });
    }
    if (cause instanceof EntityStreamSizeException tooLarge) {
      return tooLarge(tooLarge);
    }
    if (cause instanceof EntityStreamException broken) {
      return unreadable(broken.info().summary());
    }
    if (cause instanceof IllegalRequestException broken) {
      return unreadable(broken.info().summary());
    }
    return extractRequest(
        request -> {
          log.error("{} {} failed", request.method().value(), path(request), cause);
          return completeError(StatusCodes.INTERNAL_SERVER_ERROR, INTERNAL_ERROR, INTERNAL_MESSAGE);
        });
  }

  private static Route refusedByEntity(Rejection rejection) {
    return completeError(statusFor(rejection.code()), rejection.code().wire(), rejection.message());
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable current = failure;
    while ((current instanceof CompletionException || current instanceof ExecutionException)
        && current.getCause() != null) {
      current = current.getCause();
    }
    return current;
  }

  private static ExceptionHandler exceptionHandler() {
    return ExceptionHandler.newBuilder().matchAny(ApiErrors::failure).build();
  }

  private static RejectionHandler rejectionHandler() {
    return RejectionHandler.newBuilder()
        .handle(MalformedRequestContentRejection.class, r -> unreadableBody(r.getCause()))
        .handle(
            ValidationRejection.class,
            r -> r.getCause().map(ApiErrors::unreadableBody).orElseGet(() -> invalid(r.message())))
        .handle(RequestEntityExpectedRejection.class, r -> invalid("the request needs a JSON body"))
        .handle(
            UnsupportedRequestContentTypeRejection.class,
            r ->
                completeError(
                    StatusCodes.UNSUPPORTED_MEDIA_TYPE,
                    UNSUPPORTED_MEDIA_TYPE,
                    "the request body must be "
                        + r.getSupported().stream()
                            .map(Object::toString)
                            .sorted()
                            .collect(Collectors.joining(" or "))))
        .handle(
            MalformedQueryParamRejection.class,
            r -> invalid("query parameter '" + r.parameterName() + "': " + r.errorMsg()))
        .handle(
            MissingQueryParamRejection.class,
            r -> invalid("query parameter '" + r.parameterName() + "' is required"))
        .handle(
            InvalidRequiredValueForQueryParamRejection.class,
            r ->
                invalid(
                    "query parameter '"
                        + r.parameterName()
                        + "' must be '"
                        + r.expectedValue()
                        + "'"))
        .handle(
            MalformedHeaderRejection.class,
            r -> invalid("header '" + r.headerName() + "': " + r.errorMsg()))
        .handle(
            MissingHeaderRejection.class,
            r -> invalid("header '" + r.headerName() + "' is required"))
        .handle(
            AuthenticationFailedRejection.class,
            r ->
                completeError(
                    StatusCodes.UNAUTHORIZED, UNAUTHORIZED, "missing or invalid credentials"))
        .handle(
            AuthorizationFailedRejection.class,
            r ->
                completeError(
                    StatusCodes.FORBIDDEN, FORBIDDEN, "the credentials do not allow this"))
        .handle(
            UnacceptedResponseContentTypeRejection.class,
            r -> completeError(StatusCodes.NOT_ACCEPTABLE, NOT_ACCEPTABLE, "the API answers JSON"))
        .handleAll(MethodRejection.class, ApiErrors::methodNotAllowed)
        .handleNotFound(completeError(StatusCodes.NOT_FOUND, NOT_FOUND, "no such resource"))
        .handle(org.apache.pekko.http.javadsl.server.Rejection.class, ApiErrors::otherRejection)
        .build();
  }

  private static Route unreadableBody(Throwable cause) {
    if (cause instanceof EntityStreamSizeException tooLarge) {
      return tooLarge(tooLarge);
    }
    ApiException refusal = JsonSupport.clientError(cause);
    return refusal != null ? completeError(refusal) : failure(cause);
  }

  /** A body the server could not read: a broken chunked encoding, a connection cut midway. */
  private static Route unreadable(String why) {
    return completeError(
        StatusCodes.BAD_REQUEST, INVALID_REQUEST, "the request body could not be read: " + why);
  }

  private static Route tooLarge(EntityStreamSizeException tooLarge) {
    return completeError(
        StatusCodes.CONTENT_TOO_LARGE,
        PAYLOAD_TOO_LARGE,
        "the request body is larger than " + tooLarge.limit() + " bytes");
  }

  private static Route methodNotAllowed(List<MethodRejection> rejections) {
    return completeError(notAllowed(rejections.stream().map(MethodRejection::supported).toList()));
  }

  /** 405 {@code method_not_allowed}, with the methods the resource has in {@code Allow}. */
  public static ApiException notAllowed(List<HttpMethod> supported) {
    List<HttpMethod> methods =
        supported.stream()
            .collect(Collectors.toMap(HttpMethod::value, m -> m, (a, b) -> a, TreeMap::new))
            .values()
            .stream()
            .toList();
    return new ApiException(
        StatusCodes.METHOD_NOT_ALLOWED,
        METHOD_NOT_ALLOWED,
        "this resource supports "
            + methods.stream().map(HttpMethod::value).collect(Collectors.joining(", ")),
        List.of(Allow.create(methods.toArray(HttpMethod[]::new))));
  }

  private static Route otherRejection(org.apache.pekko.http.javadsl.server.Rejection rejection) {
    return extractRequest(
        request -> {
          log.debug("{} {} rejected: {}", request.method().value(), path(request), rejection);
          return invalid("the request cannot be handled as sent");
        });
  }

  private static Route invalid(String message) {
    return completeError(StatusCodes.BAD_REQUEST, INVALID_REQUEST, message);
  }

  private static HttpResponse requestTimedOut(HttpRequest request) {
    log.warn("{} {} exceeded the request timeout", request.method().value(), path(request));
    return response(StatusCodes.SERVICE_UNAVAILABLE, UNAVAILABLE, TIMEOUT_MESSAGE);
  }

  /** The path only: query strings may carry tokens and do not belong in logs. */
  private static String path(HttpRequest request) {
    return request.getUri().path();
  }
}
