package dev.gem.kernels.simd;

import dev.gem.tensor.DType;

/**
 * How a repacked matrix stores a group of {@link Int8Matvec#SL} blocks for the integer kernels: one row of this table
 * per layout, and which file types go into each ({@link #of}). Every layout puts the group's scales first, then its
 * quants one element of every block per vector ("blocks in lanes"); {@link Int8Matvec} describes them in full.
 */
enum Layout {
    //               bytes/block  quants at (×SL)  byte quants  blocks of 16  float scales  mins
    /** Q4_0's: fp16 scales, unsigned nibbles (value d·(q - 8)). */
    NIBBLES(18, 2, false, false, false, false),
    /** Q4_K and Q4_1: float scale and min per 32, unsigned nibbles (value scale·q + min). */
    NIBBLES_AFFINE(24, 8, false, false, true, true),
    /** Q8_0's, also Q5_0 and IQ4_NL converted: fp16 scales, signed bytes. */
    BYTES(34, 2, true, false, false, false),
    /** Q5_K, Q5_1 and IQ4_XS: float scale and min per 32, bytes. */
    BYTES_AFFINE(40, 8, true, false, true, true),
    /** Q6_K and Q3_K: float scale per 16, signed bytes. */
    BYTES_16(20, 4, true, true, true, false),
    /** Q2_K: float scale and min per 16, bytes. */
    BYTES_16_AFFINE(24, 8, true, true, true, true);

    /** Bytes per block in a group (scales included), and where the quants start, in units of SL bytes. */
    final int blockBytes, quantsAt;
    /** Byte quants (the Q8_0 kernel shape) rather than nibbles; blocks of 16 (two lanes per block of 32 activations). */
    final boolean bytes, sixteens;
    /** Scales stored as floats (else fp16, converted in the kernel); a min per block, met by the activations' sums. */
    final boolean floatScales, mins;

    Layout(int blockBytes, int quantsAt, boolean bytes, boolean sixteens, boolean floatScales, boolean mins) {
        this.blockBytes = blockBytes;
        this.quantsAt = quantsAt;
        this.bytes = bytes;
        this.sixteens = sixteens;
        this.floatScales = floatScales;
        this.mins = mins;
    }

    /**
     * The layout a file type is repacked into, or null. Every conversion is exact: the values the file decodes to are
     * the layout's (fp16 scales times 4- to 8-bit sub-scales are exact in float; Q5_0's and IQ4_NL's values are an fp16
     * scale times an integer within ±127, as Q8_0's).
     */
    static Layout of(DType type) {
        return switch (type) {
            case Q4_0 -> NIBBLES;
            case Q4_K, Q4_1 -> NIBBLES_AFFINE;
            case Q8_0, Q5_0, IQ4_NL -> BYTES;
            case Q5_K, Q5_1, IQ4_XS -> BYTES_AFFINE;
            case Q6_K, Q3_K -> BYTES_16;
            case Q2_K -> BYTES_16_AFFINE;
            default -> null;
        };
    }
}
