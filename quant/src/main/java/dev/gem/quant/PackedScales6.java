package dev.gem.quant;

import static dev.gem.quant.BlockwiseCodec.u8;

/**
 * The 12-byte field in which Q4_K and Q5_K keep eight 6-bit scales and eight 6-bit mins (ggml's get_scale_min_k4).
 * Groups 0..3 use the low six bits of bytes 0..3 (scale) and 4..7 (min); groups 4..7 keep their low four bits in the
 * nibbles of bytes 8..11 and their top two bits in the spare top bits of bytes 0..7.
 */
public final class PackedScales6 {
    private PackedScales6() {}

    static final int BYTES = 12;

    public static int scale(byte[] b, int off, int j) {
        if (j < 4) return u8(b, off + j) & 63;
        return (u8(b, off + j + 4) & 0xf) | (u8(b, off + j - 4) >>> 6) << 4;
    }

    public static int min(byte[] b, int off, int j) {
        if (j < 4) return u8(b, off + j + 4) & 63;
        return (u8(b, off + j + 4) >>> 4) | (u8(b, off + j) >>> 6) << 4;
    }

    /** Stores group j's scale and min (each 0..63) into a field that starts zeroed; groups may come in any order. */
    static void put(byte[] b, int off, int j, int scale, int min) {
        if (j < 4) {
            b[off + j] |= (byte) scale;
            b[off + j + 4] |= (byte) min;
        } else {
            b[off + j + 4] = (byte) ((scale & 0xf) | (min & 0xf) << 4);
            b[off + j - 4] |= (byte) ((scale >>> 4) << 6);
            b[off + j] |= (byte) ((min >>> 4) << 6);
        }
    }
}
