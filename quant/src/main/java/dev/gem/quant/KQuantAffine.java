package dev.gem.quant;

import static dev.gem.quant.BlockwiseCodec.half;
import static dev.gem.quant.BlockwiseCodec.putHalf;
import static dev.gem.quant.GgmlRounding.nearestInt;

/** The part of ggml's Q4_K and Q5_K reference quantizers that differs only in the quant width. */
final class KQuantAffine {
    private KQuantAffine() {}

    /**
     * Fits each group of 32 to scale·l - min (l in 0..nmax), stores d, dmin and the 6-bit group scales and mins, and
     * writes into {@code L} the final quants, chosen against the scales as stored.
     */
    static void quantizeScalesAndMins(float[] x, int o, byte[] b, int dOff, int dminOff, int scalesOff, byte[] L,
                                      int nmax, float rmin, float rdelta, int nstep) {
        byte[] Laux = new byte[32];
        float[] weights = new float[32];
        float[] scales = new float[8], mins = new float[8];

        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 8; j++) {
            // Weight each value by the group's RMS plus its own magnitude: large values matter more, but small ones
            // are not ignored.
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) sumX2 += x[o + 32 * j + l] * x[o + 32 * j + l];
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) weights[l] = avX + Math.abs(x[o + 32 * j + l]);
            scales[j] = ScaleSearch.affine(32, nmax, x, o + 32 * j, weights, L, 32 * j, mins, j, Laux, rmin, rdelta, nstep, false);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        for (int j = 0; j < 8; j++) {
            // ggml stores nearest_int's result in a uint8 before clamping: a negative value wraps and clamps to 63.
            int ls = Math.min(63, nearestInt(invScale * scales[j]) & 0xff);
            int lm = Math.min(63, nearestInt(invMin * mins[j]) & 0xff);
            PackedScales6.put(b, scalesOff, j, ls, lm);
        }
        putHalf(b, dOff, maxScale / 63f);
        putHalf(b, dminOff, maxMin / 63f);

        float d0 = half(b, dOff), dmin0 = half(b, dminOff);
        for (int j = 0; j < 8; j++) {
            float d = d0 * PackedScales6.scale(b, scalesOff, j);
            if (d == 0) continue;
            float dm = dmin0 * PackedScales6.min(b, scalesOff, j);
            for (int ii = 0; ii < 32; ii++)
                L[32 * j + ii] = (byte) ScaleSearch.clamp(nearestInt((x[o + 32 * j + ii] + dm) / d), 0, nmax);
        }
    }
}
