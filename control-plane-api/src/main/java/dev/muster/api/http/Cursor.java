package dev.muster.api.http;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * The one cursor codec of every list: an opaque token for the key a page ended at (the next page
 * starts after it). Decoded once, here, at the edge; a token this API did not give out is a 400.
 */
public final class Cursor {
  private static final String PREFIX = "after:";

  private Cursor() {}

  public static String encode(String lastKey) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString((PREFIX + lastKey).getBytes(StandardCharsets.UTF_8));
  }

  public static Optional<String> encode(Optional<String> lastKey) {
    return lastKey.map(Cursor::encode);
  }

  /** The key a cursor stands for; throws {@link ApiException} (400) for anything else. */
  public static String decode(String cursor) {
    try {
      byte[] bytes = Base64.getUrlDecoder().decode(cursor.trim());
      String text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
      if (text.startsWith(PREFIX) && text.length() > PREFIX.length()) {
        return text.substring(PREFIX.length());
      }
    } catch (IllegalArgumentException | CharacterCodingException e) {
      // answered below
    }
    throw ApiException.invalid("query parameter 'cursor' is not a cursor this API gave out");
  }

  /** {@link #decode} of an optional, blank-is-absent parameter. */
  public static Optional<String> decode(Optional<String> cursor) {
    return cursor.filter(c -> !c.isBlank()).map(Cursor::decode);
  }
}
