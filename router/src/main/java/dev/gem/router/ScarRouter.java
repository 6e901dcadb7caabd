package dev.gem.router;

/**
 * SCAR: variable-k expert routing. Probabilities come from the model's own gating function applied to the router
 * scores divided by a temperature; experts are taken most probable first until their share of the total probability
 * reaches tau (at least kMin, at most kMax); the chosen weights then follow the model's own rule (renormalised or not,
 * times its scale), so that with kMin = kMax = k SCAR is the model's standard top-k routing, bit for bit.
 */
public final class ScarRouter implements ExpertRouter {
    private final Gating gating;
    private final boolean normalize;
    private final float scale;
    private final ScarSettings s;
    private final RoutingStats stats;

    /**
     * @param gating    the model's gating function
     * @param normalize the model's rule: renormalise the chosen weights to sum to one
     * @param scale     the model's weight scale
     * @param stats     where to count experts per token (may be null)
     */
    public ScarRouter(Gating gating, boolean normalize, float scale, ScarSettings settings, RoutingStats stats) {
        this.gating = gating;
        this.normalize = normalize;
        this.scale = scale;
        this.s = settings;
        this.stats = stats;
    }

    public ScarSettings settings() { return s; }

    @Override
    public int maxExperts() { return s.kMax(); }

    @Override
    public void route(float[] logits, int off, int n, ExpertChoice out) {
        if (s.kMax() > n) throw new IllegalArgumentException("SCAR k-max " + s.kMax() + " exceeds the " + n + " experts of the model");
        if (s.temperature() != 1f) for (int i = 0; i < n; i++) logits[off + i] /= s.temperature();
        TopKRouter.probabilities(gating, logits, off, n);
        TopKRouter.selectTop(logits, off, n, s.kMax(), out);
        int k = s.kMax();
        if (s.kMin() < s.kMax()) {
            double total = 0;
            for (int i = 0; i < n; i++) total += logits[off + i]; // 1 for softmax; sigmoid scores are shares of their sum
            double target = s.tau() * total, cum = 0;
            k = s.kMin();
            for (int i = 0; i < s.kMax(); i++) {
                cum += out.weights[i];
                if (cum >= target - 1e-7 * total) {
                    k = Math.max(s.kMin(), i + 1);
                    break;
                }
                k = i + 1;
            }
        }
        out.count = k;
        TopKRouter.finish(out, normalize, scale);
        if (stats != null) stats.record(k);
    }
}
