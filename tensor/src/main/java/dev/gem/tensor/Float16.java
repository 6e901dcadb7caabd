package dev.gem.tensor;

/** Scalar conversions for the two 16-bit float formats GGUF stores (IEEE half and bfloat16). */
public final class Float16 {
    private Float16() {}

    public static float halfToFloat(short bits) { return Float.float16ToFloat(bits); }

    public static short floatToHalf(float v) { return Float.floatToFloat16(v); }

    public static float bf16ToFloat(short bits) { return Float.intBitsToFloat((bits & 0xffff) << 16); }

    /** Round-to-nearest-even, as ggml does; NaN stays a (quiet) NaN. */
    public static short floatToBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if ((bits & 0x7fffffff) > 0x7f800000) return (short) ((bits >>> 16) | 0x40);
        int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }
}
