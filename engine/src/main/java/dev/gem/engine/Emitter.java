package dev.gem.engine;

import dev.gem.tokenizer.StreamDecoder;
import dev.gem.tokenizer.Tokenizer;

import java.util.Arrays;

/**
 * The output side of a generation, shared by every decoding strategy: it takes each chosen token, stops at
 * end-of-generation tokens, the token budget or the listener's word, decodes text for streaming and collects the
 * result.
 */
final class Emitter {
    private final Tokenizer tokenizer;
    private final GenerateOptions options;
    private final TokenListener listener;
    private final StreamDecoder decoder;
    private final StringBuilder text = new StringBuilder();
    private final int[] out;
    private int count;
    private boolean stopped;
    GenerationResult.StopReason reason = GenerationResult.StopReason.MAX_TOKENS;

    Emitter(Tokenizer tokenizer, GenerateOptions options, TokenListener listener) {
        this.tokenizer = tokenizer;
        this.options = options;
        this.listener = listener;
        this.decoder = tokenizer.streamDecoder();
        this.out = new int[Math.max(16, options.maxTokens())];
        this.stopped = options.maxTokens() == 0;
    }

    /** Offers the next token. Returns false when generation is over (the token was an end token, or the last one). */
    boolean emit(int token) {
        if (stopped) return false;
        if (options.stopAtEog() && tokenizer.isEndOfGeneration(token)) {
            reason = GenerationResult.StopReason.END_OF_GENERATION;
            stopped = true;
            return false;
        }
        out[count++] = token;
        String piece = decoder.next(token);
        text.append(piece);
        if (listener != null && !listener.onToken(token, piece)) {
            reason = GenerationResult.StopReason.LISTENER;
            stopped = true;
            return false;
        }
        if (count == options.maxTokens()) {
            stopped = true;
            return false;
        }
        return true;
    }

    void contextFull() {
        reason = GenerationResult.StopReason.CONTEXT_FULL;
        stopped = true;
    }

    boolean done() { return stopped; }

    int count() { return count; }

    GenerationResult finish(int promptTokens, long promptNanos, long genNanos) {
        String tail = decoder.flush();
        if (!tail.isEmpty()) {
            text.append(tail);
            if (listener != null) listener.onToken(-1, tail);
        }
        return new GenerationResult(Arrays.copyOf(out, count), text.toString(), promptTokens, promptNanos, genNanos, reason);
    }
}
