package dev.gem.router;

/**
 * The knobs of SCAR, GEM's Sparse Cross-Attention Router. A token's hidden state is the query and each expert's
 * router row is its key; the scores h·K / temperature become probabilities, and the token gets the smallest number of
 * experts whose cumulative probability reaches {@code tau}, kept within [kMin, kMax].
 *
 * <p>With {@code kMin = kMax = k} (the model's own experts per token) and temperature 1, SCAR is exactly the model's
 * standard top-k routing.
 *
 * @param tau         cumulative probability to cover, in (0, 1]
 * @param kMin        fewest experts per token (at least 1)
 * @param kMax        most experts per token
 * @param temperature divides the router scores before the gating function; above 1 spreads probability over more experts
 */
public record ScarSettings(float tau, int kMin, int kMax, float temperature) {
    public ScarSettings {
        if (!(tau > 0 && tau <= 1)) throw new IllegalArgumentException("SCAR tau must be in (0, 1], got " + tau);
        if (kMin < 1) throw new IllegalArgumentException("SCAR k-min must be at least 1, got " + kMin);
        if (kMax < kMin) throw new IllegalArgumentException("SCAR k-max (" + kMax + ") must be at least k-min (" + kMin + ")");
        if (!(temperature > 0) || Float.isInfinite(temperature))
            throw new IllegalArgumentException("SCAR temperature must be a positive number, got " + temperature);
    }

    /** The settings under which SCAR reproduces a model's top-k routing exactly. */
    public static ScarSettings fixed(int k) {
        return new ScarSettings(1f, k, k, 1f);
    }
}
