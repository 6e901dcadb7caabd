package dev.gem.quant;

import static dev.gem.quant.GgmlRounding.nearestInt;

/**
 * The scale searches of ggml's K-quant reference quantizers (make_qx_quants, make_q3_quants, make_qkx2_quants). Each
 * fits one small group of values to an integer grid and returns the group's scale. The operations are kept in ggml's
 * order and precision (float, left to right, no fused multiply-add) because the chosen quants must match its bytes.
 */
final class ScaleSearch {
    private ScaleSearch() {}

    /** Below this magnitude a group counts as all zeros (ggml's GROUP_MAX_EPS). */
    static final float GROUP_MAX_EPS = 1e-15f;

    /**
     * Symmetric grid -nmax..nmax-1 without offset (Q6_K). Starts from the scale that maps the signed extreme to -nmax,
     * then tries 18 nearby scales and keeps the one maximizing (Σw·x·l)²/Σw·l², the least-squares fit for weights
     * w = x² (rmseType 1). Writes quants offset by nmax (0..2·nmax-1) to {@code L}.
     */
    static float symmetric(int n, int nmax, float[] x, int xo, byte[] L, int lo) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xo + i];
            int l = clamp(nearestInt(iscale * v), -nmax, nmax - 1);
            L[lo + i] = (byte) (l + nmax);
            float w = v * v;
            sumlx += w * v * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; i++) {
                float v = x[xo + i];
                int l = clamp(nearestInt(iscale * v), -nmax, nmax - 1);
                float w = v * v;
                sumlx += w * v * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) L[lo + i] = (byte) (nmax + clamp(nearestInt(iscale * x[xo + i]), -nmax, nmax - 1));
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /**
     * Symmetric grid -nmax..nmax-1 for Q3_K: from the extreme-to-(-nmax) scale, moves single quants one at a time
     * while that improves the weighted (w = x²) least-squares fit, for at most five sweeps. Quants offset by nmax.
     */
    static float symmetricRefined(int n, int nmax, float[] x, int xo, byte[] L, int lo) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xo + i];
            int l = clamp(nearestInt(iscale * v), -nmax, nmax - 1);
            L[lo + i] = (byte) l;
            float w = v * v;
            sumlx += w * v * l;
            suml2 += w * l * l;
        }
        for (int itry = 0; itry < 5; itry++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                float v = x[xo + i];
                float w = v * v;
                int old = L[lo + i];
                float slx = sumlx - w * v * old;
                if (slx > 0) {
                    float sl2 = suml2 - w * old * old;
                    int l = clamp(nearestInt(v * sl2 / slx), -nmax, nmax - 1);
                    if (l != old) {
                        slx += w * v * l;
                        sl2 += w * l * l;
                        if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                            L[lo + i] = (byte) l;
                            sumlx = slx;
                            suml2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) break;
        }
        for (int i = 0; i < n; i++) L[lo + i] += (byte) nmax;
        return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
    }

    /**
     * Affine grid x ≈ scale·l - min with l in 0..nmax and min >= 0 (Q2_K, Q4_K, Q5_K). Starts from the range
     * [min(x, 0), max(x)] split into nmax steps, then tries nstep+1 step counts around nmax, each followed by a
     * weighted least-squares solve for scale and min, and keeps the one with the smallest weighted error (absolute
     * when {@code useMad}, squared otherwise). Returns the scale and stores the (positive) min in {@code mins[mi]}.
     */
    static float affine(int n, int nmax, float[] x, int xo, float[] weights, byte[] L, int lo, float[] mins, int mi,
                        byte[] Laux, float rmin, float rdelta, int nstep, boolean useMad) {
        float min = x[xo], max = x[xo];
        float sumW = weights[0];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; i++) {
            float v = x[xo + i];
            if (v < min) min = v;
            if (v > max) max = v;
            float w = weights[i];
            sumW += w;
            sumX += w * v;
        }
        // A grid that starts above zero could not represent 0; ggml always keeps 0 inside the range.
        if (min > 0) min = 0;
        if (max == min) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            mins[mi] = -min;
            return 0;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = clamp(nearestInt(iscale * (x[xo + i] - min)), 0, nmax);
            L[lo + i] = (byte) l;
            float diff = scale * l + min - x[xo + i];
            diff = useMad ? Math.abs(diff) : diff * diff;
            bestError += weights[i] * diff;
        }
        if (nstep < 1) {
            mins[mi] = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = clamp(nearestInt(iscale * (x[xo + i] - min)), 0, nmax);
                Laux[i] = (byte) l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[xo + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float error = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * (Laux[i] & 0xff) + thisMin - x[xo + i];
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    error += weights[i] * diff;
                }
                if (error < bestError) {
                    System.arraycopy(Laux, 0, L, lo, n);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        mins[mi] = -min;
        return scale;
    }

    static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
