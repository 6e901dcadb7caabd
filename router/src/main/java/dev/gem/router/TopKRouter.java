package dev.gem.router;

/**
 * Standard mixture-of-experts routing with its semantics as explicit parameters: probabilities from the router logits
 * by {@link Gating}, the {@code k} most probable experts, their probabilities optionally renormalised to sum to one,
 * then multiplied by {@code scale}. These are the choices llama.cpp's build_moe_ffn makes per architecture.
 *
 * @param gating     softmax or sigmoid over the router logits
 * @param k          experts per token
 * @param normalize  renormalise the chosen probabilities to sum to one
 * @param scale      multiplier on the final weights (1 for most models)
 */
public record TopKRouter(Gating gating, int k, boolean normalize, float scale) implements ExpertRouter {

    public TopKRouter {
        if (k < 1) throw new IllegalArgumentException("experts per token must be at least 1, got " + k);
    }

    /**
     * Routes one token. {@code logits[off .. off+n)} are the router's scores for n experts and are overwritten with
     * the probabilities. Ties go to the lower expert index.
     */
    @Override
    public void route(float[] logits, int off, int n, ExpertChoice out) {
        if (k > n) throw new IllegalArgumentException(k + " experts per token but only " + n + " experts");
        probabilities(gating, logits, off, n);
        selectTop(logits, off, n, k, out);
        finish(out, normalize, scale);
    }

    @Override
    public int maxExperts() { return k; }

    /** Turns router logits into probabilities in place. */
    public static void probabilities(Gating gating, float[] x, int off, int n) {
        if (gating == Gating.SIGMOID) {
            for (int i = 0; i < n; i++) x[off + i] = (float) (1.0 / (1.0 + Math.exp(-x[off + i])));
            return;
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) x[off + i] *= inv;
    }

    /** Writes the k largest of p[off .. off+n) into out, in descending order (ties: lower index first). */
    static void selectTop(float[] p, int off, int n, int k, ExpertChoice out) {
        out.count = 0;
        for (int i = 0; i < n; i++) {
            float v = p[off + i];
            int pos = out.count < k ? out.count : k;
            if (pos == k && !(v > out.weights[k - 1])) continue;
            while (pos > 0 && v > out.weights[pos - 1]) {
                if (pos < k) {
                    out.weights[pos] = out.weights[pos - 1];
                    out.experts[pos] = out.experts[pos - 1];
                }
                pos--;
            }
            if (pos < k) {
                out.weights[pos] = v;
                out.experts[pos] = i;
                if (out.count < k) out.count++;
            }
        }
    }

    static void finish(ExpertChoice out, boolean normalize, float scale) {
        if (normalize) {
            float sum = 0;
            for (int i = 0; i < out.count; i++) sum += out.weights[i];
            if (sum > 0) for (int i = 0; i < out.count; i++) out.weights[i] /= sum;
        }
        if (scale != 1f) for (int i = 0; i < out.count; i++) out.weights[i] *= scale;
    }
}
