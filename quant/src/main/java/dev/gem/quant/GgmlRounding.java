package dev.gem.quant;

/**
 * The three float-to-integer roundings ggml's reference quantizers use. They differ on ties and are not
 * interchangeable: using the wrong one changes a few quants per tensor and breaks bit-exact agreement with llama.cpp.
 */
final class GgmlRounding {
    private GgmlRounding() {}

    /** C's {@code roundf}: ties away from zero (Q8_0, Q8_1). Java's Math.round rounds ties up instead. */
    static int roundHalfAway(float v) {
        // In double, |v| + 0.5 is exact whenever it can matter (|v| >= 0.25: the float's bits all fit beside the 0.5),
        // and below that the floor is 0 either way, so this is C's roundf for every float.
        double r = Math.floor(Math.abs((double) v) + 0.5);
        return (int) (v < 0 ? -r : r);
    }

    /**
     * ggml's {@code nearest_int} (K-quants, IQ4_XS): adding 1.5·2^23 makes the FPU round to nearest-even into the low
     * mantissa bits, which are then read back. Reproduced bit for bit, so it agrees with ggml even outside the
     * ±2^22 range where the trick stops being a rounding.
     */
    static int nearestInt(float v) {
        int bits = Float.floatToRawIntBits(v + 12582912.0f);
        return (bits & 0x007fffff) - 0x00400000;
    }

    /** C's float-to-int conversion, {@code (int8_t)(x + 8.5f)} and friends: truncation toward zero. */
    static int truncate(float v) {
        return (int) v;
    }
}
