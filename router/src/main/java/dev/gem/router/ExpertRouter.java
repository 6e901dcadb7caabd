package dev.gem.router;

/**
 * Chooses which experts process a token, and with what weights, from the router's logits. Standard top-k routing
 * ({@link TopKRouter}) and GEM's variable-k SCAR ({@link ScarRouter}) both implement it; the engine runs whatever the
 * choice says and reads only the chosen experts' weights.
 */
public interface ExpertRouter {
    /**
     * Routes one token: {@code logits[off .. off+n)} are the router scores of n experts (they may be overwritten).
     * {@code out} receives the chosen experts, most probable first, and their weights.
     */
    void route(float[] logits, int off, int n, ExpertChoice out);

    /** The most experts one token can get (sizes {@link ExpertChoice} buffers). */
    int maxExperts();
}
