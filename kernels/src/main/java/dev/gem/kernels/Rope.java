package dev.gem.kernels;

/**
 * Rotary position embedding, computed as ggml computes it so logits agree with llama.cpp: per position, the angle of
 * pair i is {@code pos * scale * theta^(-2i/dims) / factor[i]}, the powers built by repeated float multiplication.
 * Dimensions past {@code dims} (partial rotary) are left alone.
 */
public final class Rope {
    private final int dims;
    private final float thetaScale;
    private final float posScale;
    private final float[] freqFactors;
    private final boolean neox;

    /**
     * @param dims        rotated dimensions per head (even)
     * @param theta       frequency base
     * @param posScale    linear position scaling (1 = none)
     * @param freqFactors per-pair divisors (Llama 3.1 long-context scaling), or null
     * @param neox        true for the NeoX pairing (i, i + dims/2), false for adjacent pairs
     */
    public Rope(int dims, float theta, float posScale, float[] freqFactors, boolean neox) {
        this.dims = dims;
        this.thetaScale = (float) Math.pow(theta, -2.0 / dims);
        this.posScale = posScale;
        this.freqFactors = freqFactors;
        this.neox = neox;
    }

    /** The cos/sin table for one position: cs[2i] = cos, cs[2i+1] = sin of pair i. */
    public void angles(int pos, float[] cs) {
        float t = pos;
        for (int i = 0; i < dims / 2; i++) {
            float ff = freqFactors == null ? 1f : freqFactors[i];
            float a = posScale * (t / ff);
            cs[2 * i] = (float) Math.cos(a);
            cs[2 * i + 1] = (float) Math.sin(a);
            t *= thetaScale;
        }
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
