package dev.muster.api.identity;

import dev.muster.api.http.ApiException;
import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * Why a request's token is not accepted: 401 with one of the codes below and a {@code
 * WWW-Authenticate} challenge (RFC 6750), which says nothing the message does not.
 */
public final class AuthFailure {
  public static final String MISSING = "token_missing";
  public static final String INVALID = "token_invalid";
  public static final String EXPIRED = "token_expired";
  public static final String NOT_YET_VALID = "token_not_yet_valid";
  public static final String REVOKED = "token_revoked";

  private AuthFailure() {}

  public static ApiException missing() {
    return new ApiException(
        StatusCodes.UNAUTHORIZED,
        MISSING,
        "this route needs 'Authorization: Bearer <token>'",
        List.of(HttpHeader.parse("WWW-Authenticate", "Bearer realm=\"muster\"")));
  }

  public static ApiException of(String code, String message) {
    String challenge =
        "Bearer realm=\"muster\", error=\"invalid_token\", error_description=\""
            + message.replace("\\", "").replace("\"", "'")
            + "\"";
    return new ApiException(
        StatusCodes.UNAUTHORIZED,
        code,
        message,
        List.of(HttpHeader.parse("WWW-Authenticate", challenge)));
  }
}
