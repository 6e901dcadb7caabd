package dev.gem.kernels.simd;

import dev.gem.tensor.DType;

/**
 * How a repacked matrix stores a group of {@link Int8Matvec#SL} 16-bit lanes of blocks for the integer kernels: one
 * row of this table per layout, and which file types go into each ({@link #of}). Every layout puts the group's scales
 * first, then its quants one element of every lane per vector ("blocks in lanes"); {@link Int8Matvec} describes them
 * in full. A lane is a block of 32, or half of one: in the paired layouts (blocks of 16, and halves) a group is
 * {@code SL/2} blocks of 32, two lanes each, so rows are padded to half as many blocks.
 */
enum Layout {
    //               bytes/lane  quants at (×SL)  byte quants  blocks of 16  halves  float scales  mins
    /** Q4_0's: fp16 scales, unsigned nibbles (value d·(q - 8)). */
    NIBBLES(18, 2, false, false, false, false, false),
    /** Q4_K and Q4_1: float scale and min per 32, unsigned nibbles (value scale·q + min). */
    NIBBLES_AFFINE(24, 8, false, false, false, true, true),
    /** NIBBLES with each block in two lanes (16 elements each) and its fp16 scale once: for rows it pads less. */
    NIBBLES_HALVES(9, 1, false, false, true, false, false),
    /** NIBBLES_AFFINE with each block in two lanes and its float scale and min once. */
    NIBBLES_AFFINE_HALVES(12, 4, false, false, true, true, true),
    /** Q8_0's, also Q5_0 and IQ4_NL converted: fp16 scales, signed bytes. */
    BYTES(34, 2, true, false, false, false, false),
    /** Q5_K, Q5_1 and IQ4_XS: float scale and min per 32, bytes. */
    BYTES_AFFINE(40, 8, true, false, false, true, true),
    /** BYTES with each block in two lanes (16 elements each, as the blocks of 16) and its fp16 scale once. */
    BYTES_HALVES(17, 1, true, false, true, false, false),
    /** BYTES_AFFINE with each block in two lanes and its float scale and min once. */
    BYTES_AFFINE_HALVES(20, 4, true, false, true, true, true),
    /** Q6_K and Q3_K: float scale per 16, signed bytes. */
    BYTES_16(20, 4, true, true, false, true, false),
    /** Q2_K: float scale and min per 16, bytes. */
    BYTES_16_AFFINE(24, 8, true, true, false, true, true);

    /** Bytes per lane of a group (scales included), and where the quants start, in units of SL bytes. */
    final int blockBytes, quantsAt;
    /** Byte quants (the Q8_0 kernel shape) rather than nibbles; blocks of 16 (two lanes per block of 32 activations). */
    final boolean bytes, sixteens;
    /** Each block of 32 in two lanes of 16 elements, one scale (and min) per block: the one-lane layouts' paired form. */
    final boolean halves;
    /** Scales stored as floats (else fp16, converted in the kernel); a min per block, met by the activations' sums. */
    final boolean floatScales, mins;

    Layout(int blockBytes, int quantsAt, boolean bytes, boolean sixteens, boolean halves, boolean floatScales, boolean mins) {
        this.blockBytes = blockBytes;
        this.quantsAt = quantsAt;
        this.bytes = bytes;
        this.sixteens = sixteens;
        this.halves = halves;
        this.floatScales = floatScales;
        this.mins = mins;
    }

    /** Two lanes per block of 32 (blocks of 16, or halves): a group holds SL/2 blocks of 32. */
    boolean paired() {
        return sixteens || halves;
    }

    /** Blocks of 32 a row of {@code blocks} is padded to in this layout: whole groups. */
    int padded(int blocks) {
        int group = paired() ? Int8Matvec.SL / 2 : Int8Matvec.SL;
        return (blocks + group - 1) / group * group;
    }

    /**
     * {@link #of(DType)} for rows of {@code blocks} blocks of 32: a type takes its halves layout where that pads
     * the rows to fewer blocks (1536 columns at 512 bits: 48 blocks, not 64), which streams that many fewer bytes.
     */
    static Layout of(DType type, int blocks) {
        Layout l = of(type);
        Layout halves = switch (l) {
            case NIBBLES -> NIBBLES_HALVES;
            case NIBBLES_AFFINE -> NIBBLES_AFFINE_HALVES;
            case BYTES -> BYTES_HALVES;
            case BYTES_AFFINE -> BYTES_AFFINE_HALVES;
            case null, default -> null;
        };
        return halves != null && halves.padded(blocks) < l.padded(blocks) ? halves : l;
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
