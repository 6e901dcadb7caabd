package dev.gem.router;

/**
 * Domain scores from trained router weights: {@code score_d = w_d . h + b_d}, one weight row (and optional bias) per
 * domain, as a linear classification head over the hidden state.
 */
public final class LinearScorer implements DomainScorer {
    private final int dim;
    private final float[] weights;  // domains rows of dim
    private final float[] bias;     // per domain, or null

    public LinearScorer(int dim, float[] weights, float[] bias) {
        if (dim < 1) throw new IllegalArgumentException("hidden size must be positive, got " + dim);
        if (weights.length == 0 || weights.length % dim != 0)
            throw new IllegalArgumentException(weights.length + " router weights are not whole rows of " + dim);
        int domains = weights.length / dim;
        if (bias != null && bias.length != domains)
            throw new IllegalArgumentException(bias.length + " router biases for " + domains + " domains");
        this.dim = dim;
        this.weights = weights.clone();
        this.bias = bias == null ? null : bias.clone();
    }

    @Override
    public int domains() { return weights.length / dim; }

    @Override
    public int dim() { return dim; }

    public float[] weights() { return weights.clone(); }

    /** Per-domain biases, or null. */
    public float[] bias() { return bias == null ? null : bias.clone(); }

    @Override
    public void score(float[] h, int off, float[] out) {
        for (int d = 0; d < domains(); d++) {
            double s = CentroidScorer.dot(h, off, weights, d * dim, dim);
            out[d] = (float) (bias == null ? s : s + bias[d]);
        }
    }
}
