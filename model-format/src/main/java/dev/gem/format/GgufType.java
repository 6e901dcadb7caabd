package dev.gem.format;

/** The value types of GGUF metadata, with their ids in the file. */
public enum GgufType {
    UINT8(0, 1), INT8(1, 1), UINT16(2, 2), INT16(3, 2), UINT32(4, 4), INT32(5, 4), FLOAT32(6, 4), BOOL(7, 1),
    STRING(8, 8), ARRAY(9, 12), UINT64(10, 8), INT64(11, 8), FLOAT64(12, 8);

    public final int id;
    /** The fewest bytes one value of this type takes in a file (a string's is its length field alone). */
    final int minBytes;

    GgufType(int id, int minBytes) {
        this.id = id;
        this.minBytes = minBytes;
    }

    static GgufType ofId(int id) {
        for (GgufType t : values()) if (t.id == id) return t;
        return null;
    }
}
