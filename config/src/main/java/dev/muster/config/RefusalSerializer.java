package dev.muster.config;

import dev.muster.config.Rejection.Refusal;
import dev.muster.config.json.Json;
import java.io.IOException;
import java.io.NotSerializableException;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Carries a {@link Refusal} (the error of a refused command's StatusReply) across the cluster as
 * its {@link Rejection}: code and message, nothing else (no stack trace, no class to load by name).
 * Bound in this module's reference.conf.
 */
public final class RefusalSerializer extends SerializerWithStringManifest {
  private static final String MANIFEST = "rejection";

  public RefusalSerializer(ExtendedActorSystem system) {}

  @Override
  public int identifier() {
    return 4_711_001;
  }

  @Override
  public String manifest(Object o) {
    return MANIFEST;
  }

  @Override
  public byte[] toBinary(Object o) {
    try {
      return Json.mapper().writeValueAsBytes(((Refusal) o).rejection());
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot serialize " + o, e);
    }
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    if (!MANIFEST.equals(manifest)) {
      throw new NotSerializableException("Unknown manifest " + manifest);
    }
    try {
      return new Refusal(Json.mapper().readValue(bytes, Rejection.class));
    } catch (IOException e) {
      throw new NotSerializableException("Cannot read a rejection: " + e.getMessage());
    }
  }
}
