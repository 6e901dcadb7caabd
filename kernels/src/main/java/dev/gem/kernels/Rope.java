package dev.gem.kernels;

/**
 * Rotary position embedding, computed as ggml computes it so logits agree with llama.cpp: per position, the angle of
 * pair i is {@code pos * theta^(-2i/dims) / factor[i]} (the powers built by repeated float multiplication), scaled by
 * the frequency scale; with YaRN the scaled and unscaled angles are mixed per pair and cos/sin are multiplied by a
 * magnitude correction ({@code rope_yarn} in ggml-cpu). Dimensions past {@code dims} (partial rotary) are left alone.
 */
public final class Rope {
    private final int dims;
    private final float thetaScale;
    private final float freqScale;
    private final float[] freqFactors;
    private final boolean neox;
    private final float extFactor, attnFactor;
    private final float corrLow, corrHigh;

    /**
     * YaRN's parameters as llama.cpp hands them to ggml_rope_ext.
     *
     * @param extFactor         extrapolation mix, 0 = plain (linear) scaling
     * @param attnFactor        cos/sin multiplier (llama.cpp's yarn_attn_factor after its corrections)
     * @param betaFast          pairs rotating faster than this many turns over the original context keep their frequency
     * @param betaSlow          pairs rotating slower than this many turns are fully interpolated
     * @param originalContext   the context the model was trained on
     */
    public record Yarn(float extFactor, float attnFactor, float betaFast, float betaSlow, int originalContext) {
        /** No YaRN: plain angles, cos/sin scaled by {@code attnFactor} (1 for most models). */
        public static Yarn none(float attnFactor) {
            return new Yarn(0f, attnFactor, 32f, 1f, 0);
        }
    }

    /**
     * @param dims        rotated dimensions per head (even)
     * @param theta       frequency base
     * @param freqScale   linear position scaling (1 = none; 1/factor for linear and YaRN scaling)
     * @param freqFactors per-pair divisors (Llama 3.1 rope_freqs, Phi-3's long/short factors), or null
     * @param neox        true for the NeoX pairing (i, i + dims/2), false for adjacent pairs
     */
    public Rope(int dims, float theta, float freqScale, float[] freqFactors, boolean neox) {
        this(dims, theta, freqScale, freqFactors, neox, Yarn.none(1f));
    }

    public Rope(int dims, float theta, float freqScale, float[] freqFactors, boolean neox, Yarn yarn) {
        this.dims = dims;
        this.thetaScale = (float) Math.pow(theta, -2.0 / dims);
        this.freqScale = freqScale;
        this.freqFactors = freqFactors;
        this.neox = neox;
        this.extFactor = yarn.extFactor();
        this.attnFactor = yarn.attnFactor();
        // ggml_rope_yarn_corr_dims, in float as ggml computes it
        float low = (float) Math.floor(corrDim(dims, yarn.originalContext(), yarn.betaFast(), theta));
        float high = (float) Math.ceil(corrDim(dims, yarn.originalContext(), yarn.betaSlow(), theta));
        this.corrLow = Math.max(0f, low);
        this.corrHigh = Math.min(dims - 1, high);
    }

    /** The pair index at which a frequency turns {@code rotations} times over the original context. */
    private static float corrDim(int dims, int originalContext, float rotations, float base) {
        return dims * (float) Math.log(originalContext / (rotations * 2 * (float) Math.PI)) / (2 * (float) Math.log(base));
    }

    /** The cos/sin table for one position: cs[2i] = cos, cs[2i+1] = sin of pair i. */
    public void angles(int pos, float[] cs) {
        float t = pos;
        for (int i = 0; i < dims / 2; i++) {
            float ff = freqFactors == null ? 1f : freqFactors[i];
            float extrapolated = t / ff;
            float a = freqScale * extrapolated;
            float mscale = attnFactor;
            if (extFactor != 0f) {
                float mix = ramp(i) * extFactor;
                a = a * (1 - mix) + extrapolated * mix;
                mscale *= 1f + 0.1f * (float) Math.log(1f / freqScale);
            }
            cs[2 * i] = (float) Math.cos(a) * mscale;
            cs[2 * i + 1] = (float) Math.sin(a) * mscale;
            t *= thetaScale;
        }
    }

    /** ggml's rope_yarn_ramp: 1 for pairs below the low correction dimension, 0 above the high one, linear between. */
    private float ramp(int pair) {
        float y = (pair - corrLow) / Math.max(0.001f, corrHigh - corrLow);
        return 1 - Math.min(1, Math.max(0, y));
    }

    /** Rotates {@code heads} consecutive heads of size {@code headDim} starting at {@code x[off]} by the angles in cs. */
    public void rotate(float[] x, int off, int heads, int headDim, float[] cs) {
        int half = dims / 2;
        for (int h = 0; h < heads; h++) {
            int base = off + h * headDim;
            for (int i = 0; i < half; i++) {
                int i0 = neox ? base + i : base + 2 * i;
                int i1 = neox ? base + i + half : i0 + 1;
                float c = cs[2 * i], s = cs[2 * i + 1];
                float x0 = x[i0], x1 = x[i1];
                x[i0] = x0 * c - x1 * s;
                x[i1] = x0 * s + x1 * c;
            }
        }
    }

    public int dims() { return dims; }
}
