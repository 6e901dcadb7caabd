package dev.gem.router;

/**
 * When the token router trusts its cheap path: the next-token distribution at the exit is confident enough.
 *
 * @param kind      which statistic of the distribution is compared
 * @param threshold the bound it must meet (max probability at least this, or entropy in nats at most this)
 */
public record Confidence(Kind kind, float threshold) {
    public enum Kind { MAX_PROBABILITY, ENTROPY }

    public Confidence {
        if (kind == Kind.MAX_PROBABILITY && !(threshold > 0 && threshold <= 1))
            throw new IllegalArgumentException("a max-probability threshold is in (0, 1], got " + threshold);
        if (kind == Kind.ENTROPY && !(threshold >= 0))
            throw new IllegalArgumentException("an entropy threshold is at least 0, got " + threshold);
    }

    /** Whether logits[off .. off+n) are confident (they are not modified). */
    public boolean test(float[] logits, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[off + i]);
        double z = 0, ez = 0;
        for (int i = 0; i < n; i++) {
            double d = logits[off + i] - max;
            double e = Math.exp(d);
            z += e;
            ez += e * d;
        }
        if (kind == Kind.MAX_PROBABILITY) return 1 / z >= threshold;
        double entropy = Math.log(z) - ez / z; // H = log Z - E[l - max]
        return entropy <= threshold;
    }
}
