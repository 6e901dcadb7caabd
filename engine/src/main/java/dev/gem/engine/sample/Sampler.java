package dev.gem.engine.sample;

import java.util.Arrays;

/**
 * Picks tokens from logits in llama.cpp's order: repetition penalty, top-k, top-p, min-p, temperature, then a draw
 * from the remaining distribution. Greedy when the temperature is 0. One sampler per generation (it owns the
 * recent-token window and counts the draws).
 *
 * <p>The j-th draw of a generation uses a random number that depends only on the seed and j (SplitMix64 of them), not
 * on how many numbers were drawn before. So a decoder that looks ahead (self-speculative decoding drafts tokens with
 * the same numbers it will later use) emits exactly what plain decoding emits with the same seed.
 */
public final class Sampler {
    private final SamplerSettings s;
    private final int[] recent;
    private int recentCount, recentNext;
    private long draws;

    // candidate buffers, reused across steps
    private int[] ids = new int[0];
    private float[] vals = new float[0];

    public Sampler(SamplerSettings settings) {
        this.s = settings;
        this.recent = new int[settings.repeatLastN()];
    }

    /** An independent copy with the same recent tokens and draw count (for drafting ahead without disturbing this one). */
    public Sampler copy() {
        Sampler c = new Sampler(s);
        System.arraycopy(recent, 0, c.recent, 0, recent.length);
        c.recentCount = recentCount;
        c.recentNext = recentNext;
        c.draws = draws;
        return c;
    }

    /** How many tokens this sampler has drawn. */
    public long draws() { return draws; }

    /** The uniform number in [0, 1) of draw {@code index}: SplitMix64 of the seed and the index. */
    public double uniform(long index) {
        long z = s.seed() + (index + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 11) * 0x1.0p-53;
    }

    /** Records a token as seen (prompt tokens too, for the repetition penalty). */
    public void accept(int token) {
        if (recent.length == 0) return;
        recent[recentNext] = token;
        recentNext = (recentNext + 1) % recent.length;
        recentCount = Math.min(recentCount + 1, recent.length);
    }

    /** Chooses the next token from {@code logits[off .. off+vocab)} (which are modified) with the next draw's number. */
    public int sample(float[] logits, int off, int vocab) {
        return sampleAt(logits, off, vocab, draws++);
    }

    /** Chooses a token with the random number of draw {@code index}, without advancing the draw count. */
    public int sampleAt(float[] logits, int off, int vocab, long index) {
        if (s.repeatPenalty() != 1f) {
            boolean[] seen = new boolean[vocab];
            for (int i = 0; i < recentCount; i++) {
                int t = recent[i];
                if (t < 0 || t >= vocab || seen[t]) continue;
                seen[t] = true;
                float v = logits[off + t];
                logits[off + t] = v > 0 ? v / s.repeatPenalty() : v * s.repeatPenalty();
            }
        }
        if (s.isGreedy()) return argmax(logits, off, vocab);

        // top-k: candidates sorted by logit, descending
        int k = s.topK() <= 0 || s.topK() > vocab ? vocab : s.topK();
        int n = topK(logits, off, vocab, k);

        // top-p over the softmax of the candidates
        float max = vals[0];
        double sum = 0;
        float[] p = new float[n];
        for (int i = 0; i < n; i++) {
            p[i] = (float) Math.exp(vals[i] - max);
            sum += p[i];
        }
        if (s.topP() < 1f) {
            double cum = 0;
            int keep = n;
            for (int i = 0; i < n; i++) {
                cum += p[i] / sum;
                if (cum >= s.topP()) {
                    keep = i + 1;
                    break;
                }
            }
            n = keep;
        }

        // min-p relative to the most likely token: logit >= max + log(minP)
        if (s.minP() > 0f) {
            float threshold = max + (float) Math.log(s.minP());
            int keep = 1;
            while (keep < n && vals[keep] >= threshold) keep++;
            n = keep;
        }

        // temperature, then draw
        double total = 0;
        for (int i = 0; i < n; i++) {
            p[i] = (float) Math.exp((vals[i] - max) / s.temperature());
            total += p[i];
        }
        double r = uniform(index) * total;
        double acc = 0;
        for (int i = 0; i < n; i++) {
            acc += p[i];
            if (r < acc) return ids[i];
        }
        return ids[n - 1];
    }

    /** Index of the largest value (the first one on ties, as llama.cpp's greedy sampler). */
    public static int argmax(float[] x, int off, int n) {
        int best = 0;
        float bv = x[off];
        for (int i = 1; i < n; i++) {
            if (x[off + i] > bv) {
                bv = x[off + i];
                best = i;
            }
        }
        return best;
    }

    /** Fills ids/vals with the k largest logits in descending order; returns k. */
    private int topK(float[] logits, int off, int vocab, int k) {
        if (ids.length < vocab) {
            ids = new int[vocab];
            vals = new float[vocab];
        }
        if (k == vocab) {
            Integer[] order = new Integer[vocab];
            for (int i = 0; i < vocab; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> Float.compare(logits[off + b], logits[off + a]));
            for (int i = 0; i < vocab; i++) {
                ids[i] = order[i];
                vals[i] = logits[off + order[i]];
            }
            return vocab;
        }
        // a min-heap of the k best seen so far, then sorted descending
        int size = 0;
        for (int i = 0; i < vocab; i++) {
            float v = logits[off + i];
            if (size < k) {
                ids[size] = i;
                vals[size] = v;
                siftUp(size++);
            } else if (v > vals[0]) {
                ids[0] = i;
                vals[0] = v;
                siftDown(0, size);
            }
        }
        for (int end = size - 1; end > 0; end--) {
            swap(0, end);
            siftDown(0, end);
        }
        return size; // heap-sort of a min-heap leaves the values in descending order
    }

    private void siftUp(int i) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (!less(i, parent)) break;
            swap(i, parent);
            i = parent;
        }
    }

    private void siftDown(int i, int size) {
        while (true) {
            int l = 2 * i + 1, r = l + 1, m = i;
            if (l < size && less(l, m)) m = l;
            if (r < size && less(r, m)) m = r;
            if (m == i) return;
            swap(i, m);
            i = m;
        }
    }

    /** Heap order: smaller logit first; on equal logits the larger id counts as smaller, so lower ids win ties. */
    private boolean less(int a, int b) {
        return vals[a] < vals[b] || (vals[a] == vals[b] && ids[a] > ids[b]);
    }

    private void swap(int a, int b) {
        int ti = ids[a];
        ids[a] = ids[b];
        ids[b] = ti;
        float tv = vals[a];
        vals[a] = vals[b];
        vals[b] = tv;
    }
}
