package dev.muster.api.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.exc.InvalidDefinitionException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import dev.muster.config.json.Json;
import dev.muster.config.money.Amount;
import java.io.IOException;
import java.math.BigInteger;
import java.time.temporal.Temporal;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.marshalling.Marshaller;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.util.ByteString;

/**
 * JSON bodies in and out, with the one wire mapper ({@link Json#mapper()}: snake_case, unknown
 * fields and duplicate keys rejected, amounts exact). A body that cannot be read is the client's
 * fault: it is answered 400 {@code malformed_json} (not JSON, a repeated key, content after the
 * value) or 400 {@code invalid_request} naming the field (unknown field, wrong type, an amount out
 * of range, a value the record's constructor refused, a body beyond the read limits, {@code null})
 * — never 500. Jackson's failures are told apart by their type, never by their message. The one
 * exception to refusing unknown fields: {@code from} and {@code actor} are ignored wherever they
 * appear, since who acts is the token's subject and nothing a body says.
 *
 * <pre>{@code
 * post(() -> withBody(SubmitMission.class, submit ->
 *     onSuccess(missions.submit(submit), created -> completeJson(StatusCodes.CREATED, created))))
 * }</pre>
 *
 * A record checks its fields where it turns into a command (absent fields arrive as null), or in
 * its compact constructor by throwing {@link ApiException} or {@link IllegalArgumentException}.
 */
public final class JsonSupport {
  /**
   * Fields a careless client may send to say who it is; the token says that, so they are skipped.
   */
  private static final Set<String> IDENTITY_FIELDS = Set.of("from", "actor");

  private static final DeserializationProblemHandler IGNORE_IDENTITY =
      new DeserializationProblemHandler() {
        @Override
        public boolean handleUnknownProperty(
            DeserializationContext context,
            JsonParser parser,
            JsonDeserializer<?> deserializer,
            Object beanOrClass,
            String property)
            throws IOException {
          if (IDENTITY_FIELDS.contains(property)) {
            parser.skipChildren();
            return true;
          }
          return false;
        }
      };

  private JsonSupport() {}

  /**
   * Reads an {@code application/json} request body as {@code type}. Another content type is
   * answered 415, an empty body 400; use it with {@code Directives.entity(body(T.class), t ->
   * ...)}.
   */
  public static <T> Unmarshaller<HttpEntity, T> body(Class<T> type) {
    return Unmarshaller.forMediaType(MediaTypes.APPLICATION_JSON, Unmarshaller.entityToByteString())
        .thenApply(bytes -> read(bytes, type));
  }

  /** The request body read as {@code type}, handed to {@code inner}; see {@link #body}. */
  public static <T> Route withBody(Class<T> type, Function<T, Route> inner) {
    return Directives.entity(body(type), inner);
  }

  /** Parses a JSON body; throws {@link ApiException} (400) when the client sent something wrong. */
  public static <T> T read(ByteString bytes, Class<T> type) {
    if (bytes.isEmpty()) {
      throw ApiException.invalid("the request needs a JSON body");
    }
    try (JsonParser parser = mapper().createParser(bytes.toArrayUnsafe())) {
      requireUnicode(bytes);
      T value = mapper().readerFor(type).withHandler(IGNORE_IDENTITY).readValue(parser);
      if (value == null) {
        throw ApiException.invalid("the request body must be a JSON object, not null");
      }
      if (parser.nextToken() != null) {
        throw new ApiException(
            StatusCodes.BAD_REQUEST,
            ApiErrors.MALFORMED_JSON,
            "the request body has content after its JSON value");
      }
      return value;
    } catch (IOException | RuntimeException e) {
      ApiException refusal = clientError(e);
      if (refusal == null) {
        throw new IllegalStateException("Cannot read a " + type.getName() + " from JSON", e);
      }
      throw refusal;
    }
  }

  /**
   * Refuses a body whose first JSON value holds a string or a field name that is not Unicode text:
   * a {@code \\uD800} escape without its pair decodes to a lone UTF-16 surrogate, which no encoder
   * of the journal (CBOR, JSON) will write, so accepting it would fail the entity that stores it.
   */
  private static void requireUnicode(ByteString bytes) throws IOException {
    try (JsonParser scan = mapper().createParser(bytes.toArrayUnsafe())) {
      int depth = 0;
      JsonToken token;
      while ((token = scan.nextToken()) != null) {
        if (token == JsonToken.VALUE_STRING || token == JsonToken.FIELD_NAME) {
          String text = scan.getText();
          for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean paired =
                Character.isHighSurrogate(c)
                    ? i + 1 < text.length() && Character.isLowSurrogate(text.charAt(++i))
                    : !Character.isLowSurrogate(c);
            if (!paired) {
              String at = scan.getParsingContext().pathAsPointer().toString();
              throw ApiException.invalid(
                  (at.isEmpty() ? "the request body" : "'" + at + "'")
                      + " holds an unpaired UTF-16 surrogate (\\u"
                      + Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT)
                      + "), which is not Unicode text");
            }
          }
        }
        depth += token.isStructStart() ? 1 : token.isStructEnd() ? -1 : 0;
        if (depth == 0) {
          return;
        }
      }
    }
  }

  /** Completes with {@code value} as JSON and the given status. */
  public static Route completeJson(StatusCode status, Object value) {
    return Directives.complete(response(status, value));
  }

  /** Completes 200 with {@code value} as JSON. */
  public static Route completeOk(Object value) {
    return completeJson(StatusCodes.OK, value);
  }

  /** A response with {@code value} as its JSON body. */
  public static HttpResponse response(StatusCode status, Object value) {
    return HttpResponse.create().withStatus(status).withEntity(entity(value));
  }

  /** {@code value} as a strict {@code application/json} entity. */
  public static HttpEntity.Strict entity(Object value) {
    try {
      return HttpEntities.create(ContentTypes.APPLICATION_JSON, mapper().writeValueAsBytes(value));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "Cannot write a " + value.getClass().getName() + " as JSON", e);
    }
  }

  /** A marshaller with the wire mapper, for directives that take one ({@code completeOK}). */
  public static <T> Marshaller<T, RequestEntity> marshaller() {
    return Jackson.marshaller(mapper());
  }

  private static ObjectMapper mapper() {
    return Json.mapper();
  }

  /**
   * What a failure to read a request body means for the client, or null when it is the server's own
   * fault (a type Jackson cannot construct at all).
   */
  static ApiException clientError(Throwable failure) {
    if (failure instanceof ApiException refusal) {
      return refusal;
    }
    if (failure instanceof InvalidDefinitionException) {
      return null;
    }
    if (failure instanceof StreamConstraintsException
        || failure.getCause() instanceof StreamConstraintsException) {
      return ApiException.invalid(
          "the request body is beyond the API's limits: objects and arrays nested at most "
              + Json.MAX_DEPTH
              + " deep, numbers of at most "
              + Json.MAX_NUMBER_LENGTH
              + " digits");
    }
    if (failure instanceof ValueInstantiationException refused) {
      return refusedByConstructor(refused);
    }
    if (failure instanceof UnrecognizedPropertyException unknown) {
      String path = path(unknown);
      return ApiException.invalid(
          "unknown field '" + (path.isEmpty() ? unknown.getPropertyName() : path) + "'");
    }
    if (failure instanceof InvalidFormatException bad && bad.getTargetType() == Amount.class) {
      return ApiException.invalid(
          "field '" + path(bad) + "' must be " + Amount.RULE + ", got " + bad.getValue());
    }
    if (failure instanceof MismatchedInputException mismatch) {
      return mismatch(mismatch);
    }
    if (failure instanceof StreamReadException notJson) {
      var at = notJson.getLocation();
      return new ApiException(
          StatusCodes.BAD_REQUEST,
          ApiErrors.MALFORMED_JSON,
          "the request body is not valid JSON"
              + (at == null
                  ? ""
                  : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")")
              + ": "
              + notJson.getOriginalMessage());
    }
    if (failure instanceof JsonMappingException other) {
      String path = path(other);
      return ApiException.invalid(
          path.isEmpty()
              ? "the request body does not have the expected shape"
              : "field '" + path + "' has an invalid value");
    }
    if (failure instanceof IllegalArgumentException invalid) {
      return ApiException.invalid(String.valueOf(invalid.getMessage()));
    }
    return null;
  }

  private static ApiException refusedByConstructor(ValueInstantiationException refused) {
    Throwable cause = refused.getCause();
    if (cause instanceof ApiException apiException) {
      return apiException;
    }
    if (cause instanceof IllegalArgumentException invalid && invalid.getMessage() != null) {
      return ApiException.invalid(invalid.getMessage());
    }
    if (cause instanceof NullPointerException missing && missing.getMessage() != null) {
      // Objects.requireNonNull(field, "field_name") in a compact constructor.
      return ApiException.invalid("missing required field '" + missing.getMessage() + "'");
    }
    String path = path(refused);
    return ApiException.invalid(
        path.isEmpty()
            ? "the request body has an invalid value"
            : "invalid value for '" + path + "'");
  }

  private static ApiException mismatch(MismatchedInputException mismatch) {
    String path = path(mismatch);
    String expected = expected(mismatch.getTargetType());
    return ApiException.invalid(
        path.isEmpty()
            ? "the request body must be " + expected
            : "field '" + path + "' must be " + expected);
  }

  /** The JSON path of the failure ({@code items[2].name}), in the wire's field names. */
  private static String path(JsonMappingException failure) {
    StringBuilder path = new StringBuilder();
    for (JsonMappingException.Reference step : failure.getPath()) {
      if (step.getFieldName() != null) {
        if (path.length() > 0) {
          path.append('.');
        }
        path.append(step.getFieldName());
      } else if (step.getIndex() >= 0) {
        path.append('[').append(step.getIndex()).append(']');
      }
    }
    return path.toString();
  }

  /** What a JSON value of {@code type} looks like, in words for an API client. */
  private static String expected(Class<?> type) {
    if (type == null) {
      return "a valid value";
    }
    if (type == Amount.class) {
      return Amount.RULE;
    }
    if (type == String.class || type == char.class || type == Character.class) {
      return "a string";
    }
    if (type == int.class
        || type == long.class
        || type == short.class
        || type == byte.class
        || type == Integer.class
        || type == Long.class
        || type == Short.class
        || type == Byte.class
        || type == BigInteger.class) {
      return "an integer";
    }
    if (type.isPrimitive() && type != boolean.class || Number.class.isAssignableFrom(type)) {
      return "a number";
    }
    if (type == boolean.class || type == Boolean.class) {
      return "true or false";
    }
    if (type.isEnum()) {
      return "one of " + enumValues(type);
    }
    if (type.isArray() || Collection.class.isAssignableFrom(type)) {
      return "an array";
    }
    if (Temporal.class.isAssignableFrom(type)) {
      return "an RFC 3339 timestamp";
    }
    if (type == Optional.class) {
      return "a valid value";
    }
    if (Map.class.isAssignableFrom(type) || type.isRecord()) {
      return "an object";
    }
    return "a valid value";
  }

  private static List<String> enumValues(Class<?> type) {
    return Arrays.stream(type.getEnumConstants())
        .map(constant -> mapper().convertValue(constant, String.class))
        .collect(Collectors.toList());
  }
}
