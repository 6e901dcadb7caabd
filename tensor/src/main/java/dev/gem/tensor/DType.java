package dev.gem.tensor;

/**
 * Every element type a GGUF file can hold, in one table: GGUF id, elements per block, bytes per block.
 * Like ggml's type traits, this is the single place a type's size is defined; everything else derives from it.
 * Whether GEM can compute with a type is the kernels' business, not this table's.
 */
public enum DType {
    //     gguf id, block size, bytes per block
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),
    Q4_1(3, 32, 20),
    Q5_0(6, 32, 22),
    Q5_1(7, 32, 24),
    Q8_0(8, 32, 34),
    Q8_1(9, 32, 36),
    Q2_K(10, 256, 84),
    Q3_K(11, 256, 110),
    Q4_K(12, 256, 144),
    Q5_K(13, 256, 176),
    Q6_K(14, 256, 210),
    Q8_K(15, 256, 292),
    IQ2_XXS(16, 256, 66),
    IQ2_XS(17, 256, 74),
    IQ3_XXS(18, 256, 98),
    IQ1_S(19, 256, 50),
    IQ4_NL(20, 32, 18),
    IQ3_S(21, 256, 110),
    IQ2_S(22, 256, 82),
    IQ4_XS(23, 256, 136),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    IQ1_M(29, 256, 56),
    BF16(30, 1, 2),
    TQ1_0(34, 256, 54),
    TQ2_0(35, 256, 66),
    MXFP4(39, 32, 17);

    /** The type's id in GGUF tensor infos (ggml_type). */
    public final int ggufId;
    /** Elements per block; 1 for plain scalar types. */
    public final int blockSize;
    /** Bytes per block. */
    public final int blockBytes;

    private static final DType[] BY_ID = new DType[64];

    static {
        for (DType t : values()) BY_ID[t.ggufId] = t;
    }

    DType(int ggufId, int blockSize, int blockBytes) {
        this.ggufId = ggufId;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** The type with this GGUF id, or null when the id is unknown. */
    public static DType ofGgufId(int id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
    }

    /** Parses a type name case-insensitively ("q4_0", "Q4_K", "bf16"); null when unknown. */
    public static DType ofName(String name) {
        for (DType t : values()) if (t.name().equalsIgnoreCase(name)) return t;
        return null;
    }

    public boolean isQuantized() {
        return blockSize > 1;
    }

    /** True when {@code elements} fills whole blocks of this type. */
    public boolean fitsBlocks(long elements) {
        return elements % blockSize == 0;
    }

    /** Bytes taken by {@code elements} values; the count must be a whole number of blocks. */
    public long bytesFor(long elements) {
        if (!fitsBlocks(elements))
            throw new IllegalArgumentException(elements + " elements is not a whole number of " + this + " blocks of " + blockSize);
        return elements / blockSize * blockBytes;
    }

    /** Average storage cost in bits per weight (4.5 for Q4_0). */
    public double bitsPerWeight() {
        return 8.0 * blockBytes / blockSize;
    }
}
