package dev.muster.config;

/**
 * Marker for every message, event and state that crosses the cluster or enters the journal. Bound
 * once to Pekko's Jackson CBOR serializer in this module's {@code reference.conf}.
 */
public interface CborSerializable {}
