package dev.gem.engine.routing;

import dev.gem.engine.Model;
import dev.gem.engine.Session;
import dev.gem.engine.sample.Sampler;
import dev.gem.router.CheapPath;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.function.Consumer;

/**
 * Measures, on a text, how often each candidate cheap path predicts the same next token as the full model, in the
 * situation speculation puts it in: the full model has processed everything before the position, the cheap path runs
 * only the token at it. Candidates are every early exit and a greedy chain of skipped-layer sets (at each step, skip the
 * one more layer whose loss costs the least agreement). With the measured costs of a cheap step, a full step and a
 * verification batch, it estimates the speedup of speculating N tokens with each path and picks the best.
 */
public final class DepthCalibration {
    /** One candidate's agreement with the full model and the best speculation depth for it. */
    public record Candidate(CheapPath path, double agreement, int bestDraft, double estimatedSpeedup) {}

    public record Result(List<Candidate> candidates, Candidate best, double fullStepMillis, int tokens) {}

    private final Model model;
    private final Consumer<String> progress;

    public DepthCalibration(Model model, Consumer<String> progress) {
        this.model = model;
        this.progress = progress == null ? s -> { } : progress;
    }

    /**
     * @param text      calibration tokens (at most the context size is used)
     * @param maxSkip   longest skipped-layer set to try (0: early exits only)
     * @param maxDraft  largest N considered
     */
    public Result calibrate(int[] text, int maxSkip, int maxDraft) {
        int layers = model.config().layers();
        if (layers < 2) throw new IllegalArgumentException("a model needs at least two layers for a cheap path");
        int n = Math.min(text.length, model.contextSize() - 1);
        if (n < 8) throw new IllegalArgumentException("the calibration text is too short: " + n + " tokens (at least 8 needed)");
        int[] full = fullPredictions(text, n);
        List<Candidate> out = new ArrayList<>();
        Costs costs = measureCosts(text, maxDraft);
        for (int exit = 1; exit < layers; exit++) {
            CheapPath p = CheapPath.earlyExit(layers, exit);
            out.add(candidate(p, agreement(p, text, n, full), costs, maxDraft));
            progress.accept("exit:" + exit);
        }
        BitSet skipped = new BitSet(layers);
        for (int step = 0; step < Math.min(maxSkip, layers - 1); step++) {
            Candidate bestStep = null;
            for (int l = 0; l < layers; l++) {
                if (skipped.get(l)) continue;
                BitSet s = (BitSet) skipped.clone();
                s.set(l);
                if (s.cardinality() >= layers) continue;
                CheapPath p = new CheapPath(layers, s);
                if (p.isEarlyExit()) continue; // measured above
                Candidate c = candidate(p, agreement(p, text, n, full), costs, maxDraft);
                if (bestStep == null || c.agreement() > bestStep.agreement()) bestStep = c;
            }
            if (bestStep == null) break;
            out.add(bestStep);
            skipped = (BitSet) bestStep.path().skipped().clone();
            progress.accept(bestStep.path().toString());
        }
        Candidate best = out.stream().max(java.util.Comparator.comparingDouble(Candidate::estimatedSpeedup)).orElseThrow();
        return new Result(out, best, costs.full / 1e6, n);
    }

    /** The full model's greedy prediction after each of the first n tokens. */
    private int[] fullPredictions(int[] text, int n) {
        int vocab = model.config().vocab();
        int[] pred = new int[n];
        try (Session s = model.newSession()) {
            int batch = Math.max(1, model.options().batchSize());
            for (int off = 0; off < n; off += batch) {
                int m = Math.min(batch, n - off);
                float[][] rows = s.feedAll(java.util.Arrays.copyOfRange(text, off, off + m));
                for (int i = 0; i < m; i++) pred[off + i] = Sampler.argmax(rows[i], 0, vocab);
            }
        }
        return pred;
    }

    /** Fraction of positions where the cheap path, after the full model's context, predicts what the full model does. */
    private double agreement(CheapPath path, int[] text, int n, int[] full) {
        boolean[] skip = path.skipMask();
        int vocab = model.config().vocab();
        int agree = 0;
        try (Session s = model.newSession()) {
            for (int t = 0; t < n; t++) {
                float[] l = s.cheapStep(text[t], skip);
                if (Sampler.argmax(l, 0, vocab) == full[t]) agree++;
                s.rewind(t);
                s.feed(new int[]{text[t]});
            }
        }
        return (double) agree / n;
    }

    private record Costs(double full, double cheapPerLayer, double head, double[] verify) {}

    /** Wall-clock costs of a full step, and of verification batches of 2 .. maxDraft+1 tokens, after a warm-up. */
    private Costs measureCosts(int[] text, int maxDraft) {
        int layers = model.config().layers();
        try (Session s = model.newSession()) {
            int[] one = {text[0]};
            for (int i = 0; i < 3; i++) s.feed(one); // warm up
            double full = time(() -> s.feed(one), 5);
            boolean[] all = new boolean[layers];
            all[0] = false;
            for (int l = 1; l < layers; l++) all[l] = true;
            double oneLayer = time(() -> {
                s.cheapStep(one[0], all);
            }, 5);
            double[] verify = new double[maxDraft + 2];
            for (int k = 2; k <= maxDraft + 1 && s.position() + k + 8 < s.contextSize(); k++) {
                int[] batch = java.util.Arrays.copyOf(text, k);
                final int kk = k;
                verify[k] = time(() -> {
                    int p = s.position();
                    s.feedAll(batch);
                    s.rewind(p);
                }, 3);
                if (verify[kk] == 0) verify[kk] = full * kk;
            }
            // a one-layer cheap step is one layer plus the head: split the full step into layers and head
            double perLayer = Math.max(0, (full - oneLayer) / Math.max(1, layers - 1));
            double head = Math.max(0, oneLayer - perLayer);
            return new Costs(full, perLayer, head, verify);
        }
    }

    private static double time(Runnable r, int reps) {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < reps; i++) {
            long t = System.nanoTime();
            r.run();
            best = Math.min(best, System.nanoTime() - t);
        }
        return best;
    }

    /**
     * Speedup of drafting N tokens: a round costs N cheap steps and one verification of N+1 tokens and emits, with a
     * per-token acceptance a, 1 + a + a^2 + ... + a^N tokens on average; plain decoding costs one full step a token.
     */
    private Candidate candidate(CheapPath p, double agreement, Costs c, int maxDraft) {
        double cheap = c.head + c.cheapPerLayer * (p.layers() - p.skipped().cardinality());
        int bestN = 1;
        double best = 0;
        for (int n = 1; n <= maxDraft; n++) {
            double verify = n + 1 < c.verify.length && c.verify[n + 1] > 0 ? c.verify[n + 1] : c.full * (n + 1);
            double tokens = 0, a = 1;
            for (int i = 0; i <= n; i++) {
                tokens += a;
                a *= agreement;
            }
            double speedup = tokens * c.full / (n * cheap + verify);
            if (speedup > best) {
                best = speedup;
                bestN = n;
            }
        }
        return new Candidate(p, agreement, bestN, best);
    }
}
