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
        try (Session s = model.newSession()) {
            return evaluate(model, tokens, nCtx, s, Session::feedAll, null, onChunk).reference;
        }
    }

    /**
     * How a variant of the model is run over the scored tokens of a chunk, at most a batch at a time: the logits after
     * each, as {@link Session#feedAll} gives them. The context half of each chunk is fed as a prompt is.
     */
    @FunctionalInterface
    public interface Feeder {
        float[][] feed(Session s, int[] tokens);
    }

    /**
     * The quality cost of an approximation (SCAR's variable k, approximate early exit), measured against the model as
     * it is on the same text and chunks.
     *
     * @param reference  the model as it is
     * @param variant    the approximation
     * @param meanKl     mean over the scored positions of KL(reference ‖ variant) of the next-token distributions, in nats
     * @param maxKl      the largest of those
     * @param agreement  the fraction of scored positions where both put the same token first
     */
    public record Comparison(Result reference, Result variant, double meanKl, double maxKl, double agreement) {}

    /**
     * Scores the text with the model as it is and with a variant, in lockstep (two sessions, one chunk at a time), and
     * compares their next-token distributions position by position. {@code setup} configures the variant's session
     * (e.g. {@link Session#setScar}); {@code feeder} runs it. {@code onChunk} hears the variant's running perplexity.
     */
    public static Comparison compare(Model model, int[] tokens, int nCtx, java.util.function.Consumer<Session> setup, Feeder feeder,
                                     DoubleConsumer onChunk) {
        try (Session ref = model.newSession(); Session variant = model.newSession()) {
            setup.accept(variant);
            Evaluation e = evaluate(model, tokens, nCtx, variant, feeder, ref, onChunk);
            return new Comparison(e.reference, e.variant, e.klSum / e.reference.scored(), e.klMax,
                    (double) e.agreed / e.reference.scored());
        }
    }

    private record Evaluation(Result reference, Result variant, double klSum, double klMax, long agreed) {}

    /** Scores {@code main} with {@code feeder}; and, when {@code ref} is not null, ref with feedAll beside it (then {@code main} is the variant). */
    private static Evaluation evaluate(Model model, int[] tokens, int nCtx, Session main, Feeder feeder, Session ref,
                                       DoubleConsumer onChunk) {
        if (nCtx < 4) throw new IllegalArgumentException("a context of " + nCtx + " tokens is too small to score half of it");
        if (tokens.length < 2 * nCtx)
            throw new IllegalArgumentException("you need at least " + 2 * nCtx + " tokens to evaluate perplexity with a context of "
                    + nCtx + "; the text tokenizes to only " + tokens.length + " (give a longer text or a smaller -c)");
        if (model.contextSize() < nCtx)
            throw new IllegalArgumentException("the model was opened with a context of " + model.contextSize() + ", smaller than the chunk size " + nCtx);
        int chunks = tokens.length / nCtx, first = nCtx / 2;
        boolean addBos = model.tokenizer().addsBos();
        int bos = model.tokenizer().bos();
        Tally mine = new Tally(chunks), theirs = new Tally(chunks);
        double klSum = 0, klMax = 0;
        long agreed = 0;
        int batch = Math.min(model.options().batchSize(), main.contextSize());
        for (int c = 0; c < chunks; c++) {
            int[] chunk = java.util.Arrays.copyOfRange(tokens, c * nCtx, (c + 1) * nCtx);
            if (addBos) chunk[0] = bos;
            // the first half only builds context (fed as a prompt is, whatever the variant); its logits are not needed
            int[] context = java.util.Arrays.copyOfRange(chunk, 0, first);
            main.reset();
            main.feed(context);
            if (ref != null) {
                ref.reset();
                ref.feed(context);
            }
            for (int p = first; p < nCtx - 1; p += batch) {
                int n = Math.min(batch, nCtx - 1 - p);
                int[] part = java.util.Arrays.copyOfRange(chunk, p, p + n);
                float[][] rows = feeder.feed(main, part);
                float[][] refRows = ref != null ? ref.feedAll(part) : null;
                for (int k = 0; k < n; k++) {
                    mine.add(-logSoftmax(rows[k], chunk[p + k + 1]));
                    if (refRows == null) continue;
                    theirs.add(-logSoftmax(refRows[k], chunk[p + k + 1]));
                    double kl = klDivergence(refRows[k], rows[k]);
                    klSum += kl;
                    klMax = Math.max(klMax, kl);
                    if (argmax(refRows[k]) == argmax(rows[k])) agreed++;
                }
            }
            mine.endChunk();
            theirs.endChunk();
            if (onChunk != null) onChunk.accept(mine.running[c]);
        }
        Result r = mine.result();
        return ref == null ? new Evaluation(r, null, 0, 0, 0) : new Evaluation(theirs.result(), r, klSum, klMax, agreed);
    }

    /** Negative log-likelihoods summed the way llama-perplexity sums them. */
    private static final class Tally {
        final double[] running;
        double nll, nll2;
        int count, chunk;

        Tally(int chunks) {
            running = new double[chunks];
        }

        void add(double v) {
            nll += v;
            nll2 += v * v;
            count++;
        }

        void endChunk() {
            running[chunk++] = Math.exp(nll / Math.max(1, count));
        }

        Result result() {
            double mean = nll / count, mean2 = nll2 / count, ppl = Math.exp(mean);
            double variance = mean2 - mean * mean;
            double error = variance > 0 ? Math.sqrt(variance / (count - 1)) * ppl : Double.NaN;
            return new Result(ppl, error, chunk, count, running);
        }
    }

    /** KL(p ‖ q) of the softmax distributions of two logit vectors, in nats. */
    static double klDivergence(float[] p, float[] q) {
        double mp = max(p), mq = max(q), zp = 0, zq = 0;
        for (int i = 0; i < p.length; i++) {
            zp += Math.exp(p[i] - mp);
            zq += Math.exp(q[i] - mq);
        }
        double lzp = Math.log(zp), lzq = Math.log(zq), kl = 0;
        for (int i = 0; i < p.length; i++) {
            double lp = p[i] - mp - lzp, lq = q[i] - mq - lzq;
            kl += Math.exp(lp) * (lp - lq);
        }
        return Math.max(0, kl);
    }

    private static double max(float[] v) {
        float m = v[0];
        for (float x : v) m = Math.max(m, x);
        return m;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
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
