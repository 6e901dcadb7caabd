package dev.gem.router;

/**
 * Decides, from measured costs and acceptance, whether self-speculative decoding is paying off. Drafting N tokens on
 * the cheap path and verifying them in one full-depth batch emits, per round, every accepted draft plus one token;
 * when acceptance falls so low that a round's time per emitted token exceeds plain decoding's (by more than
 * {@code tolerance}), the policy falls back to plain decoding for a while and then probes again.
 * Times are exponential moving averages of what the engine reports; nothing is assumed about the hardware. Plain
 * decoding's time is measured afresh as the run goes (the first steps, while the JIT compiles, are several times
 * slower than later ones: judged against them, a losing speculation looked like a gain and never fell back): a few
 * plain steps first, then one plain step every {@link #REFRESH_ROUNDS} rounds.
 */
public final class SpeculationPolicy {
    private static final double EMA = 0.2;
    /** Plain steps before the first round; the plain time is the latest of them, not an average over the cold start. */
    static final int WARMUP_STEPS = 4;
    /** Rounds not judged at the start (their code runs cold); the round time starts from the last of them. */
    static final int WARMUP_ROUNDS = 3;
    /** Rounds between two plain steps that keep the plain time current. */
    static final int REFRESH_ROUNDS = 8;

    private final int maxDraft;
    private final double tolerance;
    private final int fallbackTokens;

    private double plainNanos = Double.NaN;     // one full-depth token
    private double roundNanos = Double.NaN;     // per emitted token in speculation rounds
    private int plainUntil;                      // decode plainly until this many tokens have been emitted
    private int plainSteps, roundsSincePlain, failedProbes;
    private long rounds, drafted, accepted, emittedSpeculating, emittedPlain, fallbacks;

    /**
     * @param maxDraft       drafts per round (N)
     * @param tolerance      allowed slowdown before falling back (0.05 = 5%)
     * @param fallbackTokens tokens decoded plainly after a fallback before speculating again
     */
    public SpeculationPolicy(int maxDraft, double tolerance, int fallbackTokens) {
        if (maxDraft < 1) throw new IllegalArgumentException("speculate at least 1 token, got " + maxDraft);
        this.maxDraft = maxDraft;
        this.tolerance = tolerance;
        this.fallbackTokens = fallbackTokens;
    }

    public int maxDraft() { return maxDraft; }

    /** Whether the next step should speculate, given how many tokens have been emitted so far. */
    public boolean speculate(int emitted) {
        if (plainSteps < WARMUP_STEPS || roundsSincePlain >= REFRESH_ROUNDS) return false; // measure plain decoding
        return emitted >= plainUntil;
    }

    /** A plain full-depth step took this long. */
    public void plainStep(long nanos) {
        // falls at once, rises slowly: speculation has to beat plain decoding at its best to carry on
        plainNanos = plainSteps < WARMUP_STEPS || nanos < plainNanos ? nanos : (1 - EMA) * plainNanos + EMA * nanos;
        plainSteps++;
        roundsSincePlain = 0;
        emittedPlain++;
    }

    /** A speculation round drafted {@code drafts} tokens, had {@code acceptedDrafts} accepted and emitted {@code emitted} tokens. */
    public void round(int drafts, int acceptedDrafts, int emitted, long nanos, int emittedSoFar) {
        rounds++;
        roundsSincePlain++;
        drafted += drafts;
        accepted += acceptedDrafts;
        emittedSpeculating += emitted;
        double perToken = (double) nanos / Math.max(1, emitted);
        roundNanos = Double.isNaN(roundNanos) || rounds <= WARMUP_ROUNDS ? perToken : (1 - EMA) * roundNanos + EMA * perToken;
        if (rounds < WARMUP_ROUNDS) return;
        if (roundNanos > plainNanos * (1 + tolerance)) {
            fallbacks++;
            // each failed probe in a row doubles the plain stretch (up to 16x), so a path that never pays costs
            // a probe round per several hundred tokens rather than one per fallbackTokens
            plainUntil = emittedSoFar + (fallbackTokens << Math.min(failedProbes++, 4));
            roundNanos = Double.NaN; // judge the next attempt afresh
        } else {
            failedProbes = 0;
        }
    }

    public double acceptanceRate() { return drafted == 0 ? 0 : (double) accepted / drafted; }

    /** Estimated speedup of the speculation rounds over plain decoding (1 = break-even). */
    public double speedupEstimate() {
        return Double.isNaN(roundNanos) || Double.isNaN(plainNanos) ? 1 : plainNanos / roundNanos;
    }

    public String summary() {
        return String.format(java.util.Locale.ROOT,
                "speculation: %d rounds, %d/%d drafts accepted (%.0f%%), %d tokens from rounds, %d plain, %d fallbacks",
                rounds, accepted, drafted, 100 * acceptanceRate(), emittedSpeculating, emittedPlain, fallbacks);
    }

    public long fallbacks() { return fallbacks; }

    public long rounds() { return rounds; }
}
