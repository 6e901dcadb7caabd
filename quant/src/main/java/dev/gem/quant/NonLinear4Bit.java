package dev.gem.quant;

import static dev.gem.quant.BlockwiseCodec.putHalf;
import static dev.gem.quant.GgmlRounding.nearestInt;

/**
 * The 16-level non-linear grid of IQ4_NL and IQ4_XS and ggml's quantizer for it (quantize_row_iq4_nl_impl, without
 * an importance matrix). The levels are denser near zero, where trained weights concentrate.
 */
public final class NonLinear4Bit {
    private NonLinear4Bit() {}

    /** ggml's kvalues_iq4nl. */
    static final byte[] LEVELS = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    /** A copy of the 16 levels, for decoders outside this package. */
    public static byte[] levels() {
        return LEVELS.clone();
    }

    /** How many scales either side of the first guess llama-quantize tries (ggml's ntry = 7). */
    private static final int TRIES = 7;

    /** The index of the level nearest {@code x}; an exact midpoint goes to the upper level. */
    static int nearestLevel(float x) {
        if (x <= LEVELS[0]) return 0;
        if (x >= LEVELS[15]) return 15;
        int lo = 0, hi = 15;
        while (hi - lo > 1) {
            int mid = (lo + hi) / 2;
            if (x < LEVELS[mid]) hi = mid;
            else lo = mid;
        }
        return x - LEVELS[hi - 1] < LEVELS[hi] - x ? hi - 1 : hi;
    }

    /**
     * Quantizes {@code superBlock} values of {@code x} in groups of 32 into {@code L} (level indices) and stores the
     * fp16 super-block scale at {@code b[dOff]}. With one group (IQ4_NL) that scale is the group's own; with several
     * (IQ4_XS) each group also gets a 6-bit signed scale, written to {@code groupScales} (biased by 32).
     */
    static void quantize(float[] x, int o, int superBlock, byte[] b, int dOff, int[] groupScales, byte[] L) {
        int groups = superBlock / 32;
        float[] scales = new float[groups];
        float[] weight = new float[32];
        float maxScale = 0, amaxScale = 0;
        for (int ib = 0; ib < groups; ib++) {
            int xb = o + 32 * ib;
            for (int j = 0; j < 32; j++) weight[j] = x[xb + j] * x[xb + j];
            float amax = 0, max = 0;
            for (int j = 0; j < 32; j++) {
                float ax = Math.abs(x[xb + j]);
                if (ax > amax) {
                    amax = ax;
                    max = x[xb + j];
                }
            }
            if (amax < ScaleSearch.GROUP_MAX_EPS) {
                scales[ib] = 0;
                continue;
            }
            // First guess: the extreme on level -127; then scales putting it on -127 ± 7 steps, kept when the
            // weighted least-squares fit improves.
            float d = -max / LEVELS[0];
            float id = 1 / d;
            float sumqx = 0, sumq2 = 0;
            for (int j = 0; j < 32; j++) {
                int l = nearestLevel(id * x[xb + j]);
                L[32 * ib + j] = (byte) l;
                float q = LEVELS[l];
                float w = weight[j];
                sumqx += w * q * x[xb + j];
                sumq2 += w * q * q;
            }
            d = sumq2 > 0 ? sumqx / sumq2 : 0f;
            float best = d * sumqx;
            for (int itry = -TRIES; itry <= TRIES; itry++) {
                id = (itry + LEVELS[0]) / max;
                sumqx = 0;
                sumq2 = 0;
                for (int j = 0; j < 32; j++) {
                    float q = LEVELS[nearestLevel(id * x[xb + j])];
                    float w = weight[j];
                    sumqx += w * q * x[xb + j];
                    sumq2 += w * q * q;
                }
                if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                    d = sumqx / sumq2;
                    best = d * sumqx;
                }
            }
            scales[ib] = d;
            if (Math.abs(d) > amaxScale) {
                amaxScale = Math.abs(d);
                maxScale = d;
            }
        }

        if (groups > 1) {
            float d = -maxScale / 32;
            putHalf(b, dOff, d);
            float id = d != 0 ? 1 / d : 0f;
            for (int ib = 0; ib < groups; ib++) {
                int l = ScaleSearch.clamp(nearestInt(id * scales[ib]), -32, 31);
                // ggml requantizes against the float32 group scale d·l, not the fp16 d it stores.
                float dl = d * l;
                float idl = dl != 0 ? 1 / dl : 0f;
                for (int j = 0; j < 32; j++) L[32 * ib + j] = (byte) nearestLevel(idl * x[o + 32 * ib + j]);
                groupScales[ib] = l + 32;
            }
        } else {
            putHalf(b, dOff, scales[0]);
            float id = scales[0] != 0 ? 1 / scales[0] : 0;
            for (int j = 0; j < superBlock; j++) L[j] = (byte) nearestLevel(id * x[o + j]);
        }
    }

    /** Packs each 32 level indices into 16 bytes: element j in the low nibble of byte j, element j+16 in the high one. */
    static void pack(byte[] L, int superBlock, byte[] b, int qsOff) {
        for (int g = 0; g < superBlock / 32; g++)
            for (int j = 0; j < 16; j++) b[qsOff + 16 * g + j] = (byte) (L[32 * g + j] | L[32 * g + 16 + j] << 4);
    }
}
