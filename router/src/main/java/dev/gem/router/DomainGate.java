package dev.gem.router;

/**
 * The Dynamic Token Router's domain rule: with p = softmax(domain scores of h), a token goes to domain argmax p when
 * max p exceeds the threshold, and takes the general path otherwise. Ties go to the lower domain index.
 */
public final class DomainGate {
    /** The decision for a token that takes the general path. */
    public static final int GENERAL = -1;
    /** The threshold of the GEM reference code. */
    public static final float DEFAULT_THRESHOLD = 0.65f;

    private final DomainScorer scorer;
    private final float threshold;

    /** @param threshold tau_domain in [0, 1): max p must exceed it */
    public DomainGate(DomainScorer scorer, float threshold) {
        if (!(threshold >= 0 && threshold < 1)) throw new IllegalArgumentException("domain threshold must be in [0, 1), got " + threshold);
        this.scorer = scorer;
        this.threshold = threshold;
    }

    public DomainScorer scorer() { return scorer; }

    public float threshold() { return threshold; }

    public int domains() { return scorer.domains(); }

    /**
     * Routes the hidden state {@code h[off .. off+dim)}. {@code p} (at least {@link #domains()} long) receives the
     * domain probabilities. Returns the chosen domain, or {@link #GENERAL}.
     */
    public int decide(float[] h, int off, float[] p) {
        int n = scorer.domains();
        scorer.score(h, off, p);
        softmax(p, n);
        int best = 0;
        for (int d = 1; d < n; d++) if (p[d] > p[best]) best = d;
        return p[best] > threshold ? best : GENERAL;
    }

    /** Softmax of p[0 .. n) in place, in double precision. */
    static void softmax(float[] p, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, p[i]);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.exp((double) p[i] - max);
        for (int i = 0; i < n; i++) p[i] = (float) (Math.exp((double) p[i] - max) / sum);
    }
}
