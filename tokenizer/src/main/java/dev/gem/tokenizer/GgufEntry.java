package dev.gem.tokenizer;

import dev.gem.format.GgufType;
import dev.gem.format.GgufWriter;
import dev.gem.format.Metadata;

/**
 * One GGUF metadata key with its type and value, valued as {@link Metadata} holds them (String, Long for UINT32,
 * Boolean, String[], int[]). For arrays {@code type} is ARRAY and {@code elementType} names the elements.
 */
public record GgufEntry(String key, GgufType type, GgufType elementType, Object value) {

    static GgufEntry of(String key, GgufType type, Object value) {
        return new GgufEntry(key, type, null, value);
    }

    static GgufEntry array(String key, GgufType elementType, Object value) {
        return new GgufEntry(key, GgufType.ARRAY, elementType, value);
    }

    public void putInto(GgufWriter writer) {
        if (type == GgufType.ARRAY) writer.putArray(key, elementType, value);
        else writer.put(key, type, value);
    }

    public void putInto(Metadata metadata) {
        if (type == GgufType.ARRAY) metadata.putArray(key, elementType, value);
        else metadata.put(key, type, value);
    }
}
