package dev.gem.router;

/**
 * Scores how well a hidden state fits each domain; the {@link DomainGate} turns the scores into a routing decision.
 * Implementations are pure functions of the hidden state (no state between calls), so a token's scores do not depend
 * on which other tokens share its batch.
 */
public interface DomainScorer {
    /** Number of domains scored. */
    int domains();

    /** Length of the hidden states this scorer reads. */
    int dim();

    /** Writes the score of every domain for the hidden state {@code h[off .. off+dim)} into {@code out[0 .. domains)}. */
    void score(float[] h, int off, float[] out);
}
