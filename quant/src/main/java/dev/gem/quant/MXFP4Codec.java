package dev.gem.quant;

import dev.gem.tensor.DType;

/**
 * MXFP4 (OCP microscaling FP4): 32 values as a shared power-of-two scale e (E8M0: 2^(e-127)) and 16 bytes of
 * E2M1 codes, nibble order as Q4_0. ggml stores the E2M1 values doubled as integers (0, 1, 2, 3, 4, 6, 8, 12 and
 * negatives) and halves the scale to compensate: value = level·2^(e-128).
 */
public final class MXFP4Codec extends BlockwiseCodec {
    static final int QK = DType.MXFP4.blockSize;

    /** ggml's kvalues_mxfp4: twice the E2M1 values, sign in bit 3. */
    static final byte[] LEVELS = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

    private static final double LN2 = Math.log(2);

    public MXFP4Codec() {
        super(DType.MXFP4);
    }

    /** 2^(e-128) exactly, including the two subnormal cases e = 0 and e = 1. */
    static float halfScale(int e) {
        return e < 2 ? Float.intBitsToFloat(0x00200000 << e) : Float.intBitsToFloat((e - 1) << 23);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = halfScale(u8(b, 0));
        for (int j = 0; j < QK / 2; j++) {
            int q = u8(b, 1 + j);
            y[o + j] = LEVELS[q & 0xf] * d;
            y[o + j + QK / 2] = LEVELS[q >>> 4] * d;
        }
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        float amax = 0;
        for (int j = 0; j < QK; j++) if (amax < Math.abs(x[o + j])) amax = Math.abs(x[o + j]);
        // e puts amax in the top binade of the grid (6·2^(e-127) = 1.5·2^(e-125)): floor(log2 amax) - 2 + 127.
        // ggml takes floorf(log2f(amax)); log2f rounds to float first, so a value a hair below 2^k already counts
        // as 2^k. Rounding the double log2 to float reproduces that.
        int e = 0;
        if (amax > 0) {
            float log2 = (float) (Math.log(amax) / LN2);
            e = GgmlRounding.truncate((float) Math.floor(log2) - 2 + 127) & 0xff;
        }
        float d = halfScale(e);
        b[0] = (byte) e;
        for (int j = 0; j < QK / 2; j++) {
            int lo = nearestLevel(x[o + j], d);
            int hi = nearestLevel(x[o + j + QK / 2], d);
            b[1 + j] = (byte) (lo | hi << 4);
        }
    }

    /** The first level with the smallest |level·d - x|; so 0 is coded as +0 (index 0), never -0. */
    private static int nearestLevel(float x, float d) {
        int best = 0;
        float bestErr = Math.abs(LEVELS[0] * d - x);
        for (int i = 1; i < 16; i++) {
            float err = Math.abs(LEVELS[i] * d - x);
            if (err < bestErr) {
                best = i;
                bestErr = err;
            }
        }
        return best;
    }
}
