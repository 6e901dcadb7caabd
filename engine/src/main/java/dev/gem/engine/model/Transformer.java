package dev.gem.engine.model;

import dev.gem.kernels.Kernels;
import dev.gem.kernels.Rope;
import dev.gem.kernels.ThreadPool;
import dev.gem.tensor.Tensor;

/**
 * The decoder forward pass, written once for every architecture. It reads like llama2.c's {@code forward}, with two
 * differences: it processes a batch of consecutive tokens at a time (one for decoding, many for a prompt), and the
 * places where model families differ consult the {@link Architecture} hooks.
 *
 * <p>A Transformer holds activation buffers, so each generation session uses its own; the weights are shared.
 */
public final class Transformer {
    private final ModelConfig c;
    private final Weights w;
    private final Kernels k;
    private final ThreadPool pool;
    private final Rope rope;
    private final int batch;

    // activations for up to `batch` tokens, row-major [token][feature]
    private final float[] x, xb, q, kk, vv, att, hb, hb2;
    private final float[] cs;
    private final ThreadLocal<float[]> scores;

    /** @param batch the most tokens one {@link #forward} call may process */
    public Transformer(ModelConfig c, Weights w, Kernels k, ThreadPool pool, int batch) {
        this.c = c;
        this.w = w;
        this.k = k;
        this.pool = pool;
        this.batch = batch;
        this.rope = new Rope(c.ropeDims(), c.ropeTheta(), c.ropeScale(), w.ropeFreqFactors, c.arch().rope() == RopeKind.NEOX);
        x = new float[batch * c.dim()];
        xb = new float[batch * Math.max(c.dim(), c.qDim())];
        q = new float[batch * c.qDim()];
        kk = new float[batch * c.kvDim()];
        vv = new float[batch * c.kvDim()];
        att = new float[batch * c.qDim()];
        hb = new float[batch * c.ffnDim()];
        hb2 = new float[batch * c.ffnDim()];
        cs = new float[c.ropeDims()];
        scores = ThreadLocal.withInitial(() -> new float[0]);
    }

    public int batchSize() { return batch; }

    /**
     * Runs {@code n} tokens at positions pos0 .. pos0+n-1 through the model, appending their keys and values to the
     * cache. Writes the logits of the last {@code logitRows} tokens to {@code logits} (row-major, vocab per row);
     * 0 skips the output head entirely (prompt chunks before the last).
     */
    public void forward(int[] tokens, int tokOff, int n, int pos0, KvCache cache, float[] logits, int logitRows) {
        if (n < 1 || n > batch) throw new IllegalArgumentException("batch of " + n + " tokens, capacity " + batch);
        if (pos0 + n > cache.capacity())
            throw new IllegalStateException("context full: " + (pos0 + n) + " positions needed, " + cache.capacity() + " available");
        int dim = c.dim(), qDim = c.qDim(), kvDim = c.kvDim(), ffn = c.ffnDim(), hd = c.headDim();

        for (int b = 0; b < n; b++) {
            int tok = tokens[tokOff + b];
            if (tok < 0 || tok >= c.vocab()) throw new IllegalArgumentException("token id " + tok + " outside the vocabulary of " + c.vocab());
            k.row(w.tokenEmbedding, tok, x, b * dim);
        }

        for (int l = 0; l < c.layers(); l++) {
            Weights.Layer L = w.layers[l];

            // attention: normalise, project to q/k/v, rotate, remember k/v, attend, project back, add
            for (int b = 0; b < n; b++) k.rmsnorm(xb, b * dim, x, b * dim, L.attnNorm, dim, c.normEps());
            matmul(L.wq, xb, n, q);
            matmul(L.wk, xb, n, kk);
            matmul(L.wv, xb, n, vv);
            for (int b = 0; b < n; b++) {
                rope.angles(pos0 + b, cs);
                rope.rotate(q, b * qDim, c.heads(), hd, cs);
                rope.rotate(kk, b * kvDim, c.kvHeads(), hd, cs);
            }
            System.arraycopy(kk, 0, cache.keys[l], pos0 * kvDim, n * kvDim);
            System.arraycopy(vv, 0, cache.values[l], pos0 * kvDim, n * kvDim);
            attention(cache, l, n, pos0);
            matmul(L.wo, att, n, xb);
            for (int b = 0; b < n; b++) k.add(x, b * dim, xb, b * dim, dim);

            // feed-forward: normalise, gate and up projections, SwiGLU, down projection, add
            for (int b = 0; b < n; b++) k.rmsnorm(xb, b * dim, x, b * dim, L.ffnNorm, dim, c.normEps());
            matmul(L.wGate, xb, n, hb);
            matmul(L.wUp, xb, n, hb2);
            for (int b = 0; b < n; b++) k.swiglu(hb, b * ffn, hb2, b * ffn, ffn);
            matmul(L.wDown, hb, n, xb);
            for (int b = 0; b < n; b++) k.add(x, b * dim, xb, b * dim, dim);
        }

        if (logitRows <= 0) return;
        int first = n - Math.min(logitRows, n);
        int rows = n - first;
        for (int b = first; b < n; b++) k.rmsnorm(xb, (b - first) * dim, x, b * dim, w.outputNorm, dim, c.normEps());
        matmul(w.output, xb, rows, logits);
    }

    private void matmul(Tensor weight, float[] in, int n, float[] out) {
        if (n == 1) k.matvec(pool, weight, in, 0, out, 0);
        else k.matmul(pool, weight, in, n, out);
    }

    /** Every (token, head) pair attends causally over the cache, in parallel. */
    private void attention(KvCache cache, int layer, int n, int pos0) {
        int heads = c.heads(), hd = c.headDim(), group = c.heads() / c.kvHeads(), qDim = c.qDim(), kvDim = c.kvDim();
        float scale = (float) (1.0 / Math.sqrt(hd));
        float[] keys = cache.keys[layer], values = cache.values[layer];
        pool.forRange(n * heads, (start, end) -> {
            float[] s = scores.get();
            if (s.length < pos0 + n) {
                s = new float[Math.max(pos0 + n, 256)];
                scores.set(s);
            }
            for (int i = start; i < end; i++) {
                int b = i / heads, h = i % heads;
                int kvHead = h / group;
                k.attend(q, b * qDim + h * hd, keys, values, kvHead * hd, kvDim, pos0 + b + 1, hd, scale, s, att, b * qDim + h * hd);
            }
        });
    }
}
