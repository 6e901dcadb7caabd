package dev.gem.engine;

/**
 * What a generation produced and how long it took.
 *
 * @param tokens       the new tokens (prompt excluded)
 * @param text         their decoded text
 * @param promptTokens how many prompt tokens were processed
 * @param promptNanos  time spent on the prompt
 * @param genNanos     time spent generating (sampling included)
 */
public record GenerationResult(int[] tokens, String text, int promptTokens, long promptNanos, long genNanos, StopReason stopReason) {

    public enum StopReason { END_OF_GENERATION, MAX_TOKENS, CONTEXT_FULL, LISTENER }

    public double promptTokensPerSecond() { return promptNanos == 0 ? 0 : promptTokens * 1e9 / promptNanos; }

    public double tokensPerSecond() { return genNanos == 0 ? 0 : tokens.length * 1e9 / genNanos; }

    /** The one-line summary the CLI prints: prompt and generation throughput. */
    public String summary() {
        return String.format("prompt: %d tokens in %.2f s (%.1f tok/s) | generated: %d tokens in %.2f s (%.1f tok/s) | stop: %s",
                promptTokens, promptNanos / 1e9, promptTokensPerSecond(), tokens.length, genNanos / 1e9, tokensPerSecond(),
                stopReason.name().toLowerCase().replace('_', ' '));
    }
}
