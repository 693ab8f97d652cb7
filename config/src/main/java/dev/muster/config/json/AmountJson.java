package dev.muster.config.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import dev.muster.config.money.Amount;
import java.io.IOException;
import java.math.BigDecimal;

/**
 * Amounts on the wire: a JSON number, read exactly from its text and refused (an {@link
 * InvalidFormatException} whose value is the number) unless it is {@link Amount#RULE}; written as
 * the decimal. The journal keeps amounts as micros; only the wire mapper uses this module.
 */
public final class AmountJson {
  private AmountJson() {}

  public static SimpleModule module() {
    return new SimpleModule("muster-amounts")
        .addSerializer(Amount.class, new Writer())
        .addDeserializer(Amount.class, new Reader());
  }

  private static final class Writer extends JsonSerializer<Amount> {
    @Override
    public void serialize(Amount value, JsonGenerator out, SerializerProvider provider)
        throws IOException {
      out.writeNumber(value.toDecimal());
    }
  }

  private static final class Reader extends JsonDeserializer<Amount> {
    @Override
    public Amount deserialize(JsonParser in, DeserializationContext context) throws IOException {
      JsonToken token = in.currentToken();
      if (token != JsonToken.VALUE_NUMBER_INT && token != JsonToken.VALUE_NUMBER_FLOAT) {
        return (Amount) context.handleUnexpectedToken(Amount.class, in);
      }
      BigDecimal value = in.getDecimalValue();
      try {
        return Amount.parse(value);
      } catch (IllegalArgumentException e) {
        throw InvalidFormatException.from(in, e.getMessage(), value, Amount.class);
      }
    }
  }
}
