package dev.gem.engine.quantize;

import dev.gem.engine.Model;
import dev.gem.engine.Session;

import java.util.function.DoubleConsumer;

/**
 * Perplexity exactly as llama.cpp's llama-perplexity computes it, so the numbers can be compared: the whole text is
 * tokenized once (BOS added if the vocabulary adds it, control-token text not parsed), cut into chunks of
 * {@code nCtx} tokens (a remainder shorter than a chunk is dropped), the first token of each chunk is replaced by BOS,
 * each chunk is evaluated from an empty cache, and only the second half of each chunk is scored: the logits at
 * positions {@code nCtx/2 .. nCtx-2} against the tokens that follow them.
 */
public final class Perplexity {
    private Perplexity() {}

    /**
     * @param ppl       exp of the mean negative log-likelihood
     * @param error     llama.cpp's "±": ppl times the standard error of the mean log-likelihood
     * @param chunks    chunks evaluated
     * @param scored    tokens scored
     * @param running   the perplexity after each chunk, as llama-perplexity prints it ({@code [1]12.34,[2]...})
     */
    public record Result(double ppl, double error, int chunks, int scored, double[] running) {}

    /** The text's tokens as llama-perplexity gets them: {@code common_tokenize(ctx, text, add_special=true)}. */
    public static int[] tokenize(Model model, String text) {
        return model.tokenizer().encode(text, true, false);
    }

    /**
     * Evaluates {@code tokens}. {@code onChunk} (may be null) hears the running perplexity after each chunk.
     *
     * @throws IllegalArgumentException when there are fewer than {@code 2 * nCtx} tokens (llama.cpp's rule) or the model's
     *                                  context is smaller than {@code nCtx}
     */
    public static Result compute(Model model, int[] tokens, int nCtx, DoubleConsumer onChunk) {
        if (nCtx < 4) throw new IllegalArgumentException("a context of " + nCtx + " tokens is too small to score half of it");
        if (tokens.length < 2 * nCtx)
            throw new IllegalArgumentException("you need at least " + 2 * nCtx + " tokens to evaluate perplexity with a context of "
                    + nCtx + "; the text tokenizes to only " + tokens.length + " (give a longer text or a smaller -c)");
        if (model.contextSize() < nCtx)
            throw new IllegalArgumentException("the model was opened with a context of " + model.contextSize() + ", smaller than the chunk size " + nCtx);
        int chunks = tokens.length / nCtx, first = nCtx / 2;
        boolean addBos = model.tokenizer().addsBos();
        int bos = model.tokenizer().bos();
        double nll = 0, nll2 = 0;
        int count = 0;
        double[] running = new double[chunks];
        try (Session s = model.newSession()) {
            int batch = Math.min(model.options().batchSize(), s.contextSize());
            for (int c = 0; c < chunks; c++) {
                int[] chunk = java.util.Arrays.copyOfRange(tokens, c * nCtx, (c + 1) * nCtx);
                if (addBos) chunk[0] = bos;
                s.reset();
                // the first half only builds context; its logits are not needed
                s.feed(java.util.Arrays.copyOfRange(chunk, 0, first));
                for (int p = first; p < nCtx - 1; p += batch) {
                    int n = Math.min(batch, nCtx - 1 - p);
                    float[][] rows = s.feedAll(java.util.Arrays.copyOfRange(chunk, p, p + n));
                    for (int k = 0; k < n; k++) {
                        double v = -logSoftmax(rows[k], chunk[p + k + 1]);
                        nll += v;
                        nll2 += v * v;
                    }
                }
                count += nCtx - 1 - first;
                running[c] = Math.exp(nll / count);
                if (onChunk != null) onChunk.accept(running[c]);
            }
        }
        double mean = nll / count, mean2 = nll2 / count, ppl = Math.exp(mean);
        double variance = mean2 - mean * mean;
        double error = variance > 0 ? Math.sqrt(variance / (count - 1)) * ppl : Double.NaN;
        return new Result(ppl, error, chunks, count, running);
    }

    /** llama.cpp's log_softmax: float max, a double sum of float exponentials. */
    static double logSoftmax(float[] logits, int token) {
        float max = logits[0];
        for (int i = 1; i < logits.length; i++) max = Math.max(max, logits[i]);
        double sum = 0;
        for (float l : logits) sum += (float) Math.exp(l - max);
        return logits[token] - max - Math.log(sum);
    }
}
