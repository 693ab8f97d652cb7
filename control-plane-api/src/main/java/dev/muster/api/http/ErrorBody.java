package dev.muster.api.http;

/** Every error response: {@code {"error":{"code":"...","message":"..."}}} (DESIGN.md §5). */
public record ErrorBody(ErrorDetail error) {
  public static ErrorBody of(String code, String message) {
    return new ErrorBody(new ErrorDetail(code, message));
  }
}
