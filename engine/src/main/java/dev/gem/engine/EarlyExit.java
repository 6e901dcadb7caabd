package dev.gem.engine;

import dev.gem.router.Confidence;

/**
 * Approximate per-token depth: each token runs the first {@code layer} layers and takes its next-token distribution
 * from there when {@code rule} says it is confident; otherwise it continues through the rest of the model. Tokens that
 * exit early still write keys and values for the layers they skip (computed from their exit state), so later tokens
 * attend over every position. Faster, not exact: measure the cost with {@code gem perplexity} / the KL report.
 */
public record EarlyExit(int layer, Confidence rule) {
    public EarlyExit {
        if (layer < 1) throw new IllegalArgumentException("exit layer must be at least 1, got " + layer);
        if (rule == null) throw new IllegalArgumentException("a confidence rule is required");
    }
}
