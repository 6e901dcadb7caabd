package dev.gem.engine.model;

import dev.gem.kernels.Kernels;
import dev.gem.kernels.Rope;
import dev.gem.kernels.ThreadPool;
import dev.gem.router.ExpertChoice;
import dev.gem.router.ExpertRouter;
import dev.gem.router.TopKRouter;
import dev.gem.tensor.Tensor;

import java.util.Arrays;

/**
 * The forward pass, written once for every architecture. It reads like llama2.c's {@code forward}, with two
 * differences: it processes a batch of consecutive tokens at a time (one when decoding, many for a prompt), and where
 * model families differ it consults the {@link Architecture} hooks and the tensors the file actually has.
 *
 * <p>A Transformer holds activation buffers, so each session uses its own; the weights are shared.
 */
public final class Transformer {
    private final ModelConfig c;
    private final Weights w;
    private final Kernels k;
    private final ThreadPool pool;
    private final RopeChoice ropes;
    private ExpertRouter router;
    private PassHook hook;
    private final int batch;

    // activations for up to `batch` tokens, row-major [token][feature]
    private final float[] x, xb, q, kk, vv, att, ffOut, hb, hb2, qkv, cs;
    // mixture-of-experts scratch
    private final float[] routerLogits, moeIn, moeGate, moeUp, moeOut;
    private final ExpertChoice[] choices;
    private final int[] expertRows;
    private final ThreadLocal<float[]> scores = ThreadLocal.withInitial(() -> new float[0]);

    /** @param batch the most tokens one {@link #forward} call may process */
    public Transformer(ModelConfig c, Weights w, Kernels k, ThreadPool pool, int batch) {
        this.c = c;
        this.w = w;
        this.k = k;
        this.pool = pool;
        this.batch = batch;
        this.ropes = new RopeChoice(c, w);
        this.router = c.isMoe() ? standardRouter() : null;
        int dim = c.dim();
        int ff = Math.max(c.ffnDim(), Math.max(c.isMoe() ? c.expertFfnDim() : 0, c.isMoe() ? c.sharedExpertFfnDim() : 0));
        x = new float[batch * dim];
        xb = new float[batch * Math.max(dim, c.qDim())];
        q = new float[batch * c.qDim()];
        kk = new float[batch * c.kvDim()];
        vv = new float[batch * c.kvDimV()];
        att = new float[batch * c.attnOutDim()];
        ffOut = new float[batch * dim];
        hb = new float[batch * 2 * ff];
        hb2 = new float[batch * ff];
        qkv = new float[batch * (c.qDim() + c.kvDim() + c.kvDimV())];
        cs = new float[c.ropeDims()];
        if (c.isMoe()) {
            routerLogits = new float[batch * c.experts()];
            moeIn = new float[batch * dim];
            moeGate = new float[batch * c.expertFfnDim()];
            moeUp = new float[batch * c.expertFfnDim()];
            moeOut = new float[batch * dim];
            choices = new ExpertChoice[batch];
            for (int b = 0; b < batch; b++) choices[b] = new ExpertChoice(c.experts()); // any k a router may choose
            expertRows = new int[batch];
        } else {
            routerLogits = moeIn = moeGate = moeUp = moeOut = null;
            choices = null;
            expertRows = null;
        }
    }

    public int batchSize() { return batch; }

    /** The model's own routing: its gating function, its k, its weight rules. */
    public TopKRouter standardRouter() {
        return new TopKRouter(c.gating(), c.expertsUsed(), c.expertNormalize(), c.expertScale());
    }

    /** Replaces the expert router (SCAR, or back to the standard one) for the following forward passes. */
    public void setRouter(ExpertRouter r) {
        if (!c.isMoe()) throw new UnsupportedOperationException(c.arch().name() + " model has no experts to route");
        if (r.maxExperts() > c.experts())
            throw new IllegalArgumentException("router may choose " + r.maxExperts() + " experts but the model has " + c.experts());
        this.router = r;
    }

    /** Installs the token router's per-token decisions and adapter deltas (null: none) for the following passes. */
    public void setHook(PassHook h) { this.hook = h; }

    /**
     * Runs {@code n} tokens at positions pos0 .. pos0+n-1 through the model, appending their keys and values to the
     * cache. Decoders write the logits of the last {@code outRows} tokens to {@code out} (vocab per row; 0 skips the
     * output head, as for prompt chunks before the last). Encoders write the final hidden states of all n tokens.
     */
    public void forward(int[] tokens, int tokOff, int n, int pos0, KvCache cache, float[] out, int outRows) {
        begin(tokens, tokOff, n, pos0, cache);
        layers(0, c.layers(), null, false);
        if (c.arch().encoder()) System.arraycopy(x, 0, out, 0, n * c.dim());
        else if (outRows > 0) head(outRows, out);
    }

    // the pass in progress: set by begin(), used by layers() and head()
    private int n, pos0;
    private KvCache cache;

    /**
     * Starts a pass: embeds {@code n} tokens at positions pos0.. into the residual stream. {@link #layers} and
     * {@link #head} continue from there, which is how the token router takes cheap paths (skipped layers, early exits)
     * through the same weights.
     */
    public void begin(int[] tokens, int tokOff, int n, int pos0, KvCache cache) {
        if (n < 1 || n > batch) throw new IllegalArgumentException("batch of " + n + " tokens, capacity " + batch);
        if (pos0 + n > cache.capacity())
            throw new IllegalStateException("context full: " + (pos0 + n) + " positions needed, " + cache.capacity() + " available");
        this.n = n;
        this.pos0 = pos0;
        this.cache = cache;
        if (hook != null) hook.beginPass(tokens, tokOff, n, pos0);
        embed(tokens, tokOff, n, pos0);
    }

    /**
     * Runs layers [from, to) of the current pass. A layer whose {@code skip} entry is true is bypassed; with
     * {@code fillKv} its keys and values for these positions are still computed from the current stream, so later
     * tokens that run the layer in full attend over something close to what it would have held.
     */
    public void layers(int from, int to, boolean[] skip, boolean fillKv) {
        for (int l = from; l < to; l++) {
            if (hook != null) hook.beforeLayer(l, skip != null && skip[l], x, n);
            if (skip != null && skip[l]) {
                if (fillKv) {
                    for (int b = 0; b < n; b++) norm(xb, b * c.dim(), x, b * c.dim(), w.layers[l].attnNorm, w.layers[l].attnNormBias);
                    projectQkv(w.layers[l], n);
                    rotateAndStore(l);
                }
                continue;
            }
            layer(l);
        }
    }

    /** The residual stream of the current pass: row b (of dim floats) is token b's hidden state after the layers run. */
    public float[] hidden() { return x; }

    /** Final norm and output head for the last {@code rows} tokens of the current pass. */
    public void head(int rows, float[] out) {
        int dim = c.dim();
        int first = n - Math.min(rows, n);
        rows = n - first;
        for (int b = first; b < n; b++) norm(xb, (b - first) * dim, x, b * dim, w.outputNorm, w.outputNormBias);
        matmul(w.output, xb, rows, first, out);
        int vocab = c.vocab();
        if (c.finalSoftcap() > 0 || c.logitScale() != 1f) {
            float cap = c.finalSoftcap(), inv = 1f / c.logitScale();
            for (int i = 0; i < rows * vocab; i++) {
                float v = out[i] * inv;
                out[i] = cap > 0 ? cap * (float) Math.tanh(v / cap) : v;
            }
        }
    }

    /** One transformer block over the current pass. */
    private void layer(int l) {
        int dim = c.dim();
        boolean enc = c.arch().encoder();
        Weights.Layer L = w.layers[l];

        // attention block: normalise (pre-norm), project, rotate, remember k/v, attend, project back, add
        if (enc) System.arraycopy(x, 0, xb, 0, n * dim);
        else for (int b = 0; b < n; b++) norm(xb, b * dim, x, b * dim, L.attnNorm, L.attnNormBias);
        projectQkv(L, n);
        rotateAndStore(l);
        attention(cache, l, n, pos0);
        matmul(L.wo, att, n, ffOut);
        if (L.bo != null) for (int b = 0; b < n; b++) k.addBias(ffOut, b * dim, L.bo, dim);
        residual(L.attnPostNorm, n);
        if (enc) for (int b = 0; b < n; b++) k.layernorm(x, b * dim, x, b * dim, L.attnNorm, L.attnNormBias, dim, c.normEps());

        // feed-forward block: normalise, dense or mixture-of-experts network, add
        if (enc) System.arraycopy(x, 0, xb, 0, n * dim);
        else for (int b = 0; b < n; b++) norm(xb, b * dim, x, b * dim, L.ffnNorm, L.ffnNormBias);
        if (L.router != null) moe(L, n);
        else dense(L.wGate, L.wUp, L.wDown, L.bUp, L.bDown, L.gateUpFused, c.ffnDim(), xb, n, ffOut);
        residual(L.ffnPostNorm, n);
        if (enc) for (int b = 0; b < n; b++) k.layernorm(x, b * dim, x, b * dim, L.ffnNorm, L.ffnNormBias, dim, c.normEps());
    }

    /** Applies RoPE to this pass's queries and keys (decoders) and writes its keys and values into layer l's cache. */
    private void rotateAndStore(int l) {
        if (!c.arch().encoder()) {
            Rope r = ropes.forLayer(c.sliding(l), cache.capacity());
            for (int b = 0; b < n; b++) {
                r.angles(pos0 + b, cs);
                r.rotate(q, b * c.qDim(), c.heads(), c.headDim(), cs);
                r.rotate(kk, b * c.kvDim(), c.kvHeads(), c.headDim(), cs);
            }
        }
        cache.store(l, pos0, n, kk, vv);
    }

    private void embed(int[] tokens, int tokOff, int n, int pos0) {
        int dim = c.dim();
        for (int b = 0; b < n; b++) {
            int tok = tokens[tokOff + b];
            if (tok < 0 || tok >= c.vocab()) throw new IllegalArgumentException("token id " + tok + " outside the vocabulary of " + c.vocab());
            k.row(w.tokenEmbedding, tok, x, b * dim);
            if (c.embedScale() != 1f) k.scale(x, b * dim, dim, c.embedScale());
            if (c.arch().encoder()) {
                if (w.positionEmbedding != null) {
                    k.row(w.positionEmbedding, pos0 + b, xb, 0);
                    k.add(x, b * dim, xb, 0, dim);
                }
                if (w.tokenTypes != null) {
                    k.row(w.tokenTypes, 0, xb, 0);
                    k.add(x, b * dim, xb, 0, dim);
                }
                k.layernorm(x, b * dim, x, b * dim, w.embedNorm, w.embedNormBias, dim, c.normEps());
            }
        }
    }

    /** Pre-norm of decoders: RMSNorm (with an optional bias). */
    private void norm(float[] out, int outOff, float[] in, int inOff, float[] weight, float[] bias) {
        k.rmsnorm(out, outOff, in, inOff, weight, c.dim(), c.normEps());
        if (bias != null) k.addBias(out, outOff, bias, c.dim());
    }

    /** x += postNorm(ffOut) * residualScale, for each token. */
    private void residual(float[] postNorm, int n) {
        int dim = c.dim();
        for (int b = 0; b < n; b++) {
            if (postNorm != null) k.rmsnorm(ffOut, b * dim, ffOut, b * dim, postNorm, dim, c.normEps());
            if (c.residualScale() != 1f) k.scale(ffOut, b * dim, dim, c.residualScale());
            k.add(x, b * dim, ffOut, b * dim, dim);
        }
    }

    private void projectQkv(Weights.Layer L, int n) {
        int qd = c.qDim(), kd = c.kvDim(), vd = c.kvDimV();
        if (L.wqkv != null) {
            int all = qd + kd + vd;
            matmul(L.wqkv, xb, n, qkv);
            for (int b = 0; b < n; b++) {
                if (L.bqkv != null) k.addBias(qkv, b * all, L.bqkv, all);
                System.arraycopy(qkv, b * all, q, b * qd, qd);
                System.arraycopy(qkv, b * all + qd, kk, b * kd, kd);
                System.arraycopy(qkv, b * all + qd + kd, vv, b * vd, vd);
            }
        } else {
            matmul(L.wq, xb, n, q);
            matmul(L.wk, xb, n, kk);
            matmul(L.wv, xb, n, vv);
            for (int b = 0; b < n; b++) {
                if (L.bq != null) k.addBias(q, b * qd, L.bq, qd);
                if (L.bk != null) k.addBias(kk, b * kd, L.bk, kd);
                if (L.bv != null) k.addBias(vv, b * vd, L.bv, vd);
            }
        }
        if (L.qNorm != null) headNorm(q, n, qd, L.qNorm);
        if (L.kNorm != null) headNorm(kk, n, kd, L.kNorm);
    }

    /** RMSNorm of each head (weights of one head's length) or of the whole vector (weights of its full length). */
    private void headNorm(float[] v, int n, int width, float[] weight) {
        int span = weight.length;
        for (int b = 0; b < n; b++)
            for (int off = b * width; off < (b + 1) * width; off += span) k.rmsnorm(v, off, v, off, weight, span, c.normEps());
    }

    /**
     * Every (token, head) pair attends over the cache, in parallel: causally (and within the window) or over all. Over
     * the fp16 cache the heads that share a key/value head go together, so its rows are decoded once for all of them,
     * unless that leaves threads idle (one token over few key/value heads).
     */
    private void attention(KvCache cache, int layer, int n, int pos0) {
        int heads = c.heads(), hd = c.headDim(), hdv = c.headDimV();
        int qDim = c.qDim(), kvDim = c.kvDim(), kvDimV = c.kvDimV(), outDim = c.attnOutDim();
        int window = c.sliding(layer) ? c.slidingWindow() : 0;
        boolean causal = c.causal();
        float scale = c.attentionScale(), cap = c.attnSoftcap();
        float[] keys = cache.keys == null ? null : cache.keys[layer], values = cache.values == null ? null : cache.values[layer];
        short[] keys16 = cache.keys16 == null ? null : cache.keys16[layer];
        short[] values16 = cache.values16 == null ? null : cache.values16[layer];
        int group = c.heads() / c.kvHeads();
        int together = keys16 != null && n * c.kvHeads() >= pool.threads() ? group : 1, units = heads / together;
        pool.forRange(n * units, (long) (pos0 + n) * (hd + hdv) * together, (start, end) -> {
            float[] s = scores.get();
            if (s.length < together * (pos0 + n)) {
                s = new float[Math.max(together * (pos0 + n), 256)];
                scores.set(s);
            }
            for (int i = start; i < end; i++) {
                int b = i / units, h = i % units * together, kvHead = h / group;
                int pos = pos0 + b;
                int to = causal ? pos + 1 : pos0 + n;
                int from = window > 0 ? Math.max(0, pos - window + 1) : 0;
                if (keys16 != null)
                    k.attendHeads(together, q, b * qDim + h * hd, keys16, kvHead * hd, kvDim, values16, kvHead * hdv,
                            kvDimV, from, to, hd, hdv, scale, cap, s, att, b * outDim + h * hdv);
                else
                    k.attend(q, b * qDim + h * hd, keys, kvHead * hd, kvDim, values, kvHead * hdv, kvDimV,
                            from, to, hd, hdv, scale, cap, s, att, b * outDim + h * hdv);
            }
        });
    }

    /** A dense feed-forward network over n rows of {@code in}: gated (separate or fused gate/up) or plain; result in out. */
    private void dense(Tensor gate, Tensor up, Tensor down, float[] bUp, float[] bDown, boolean fused, int ff,
                       float[] in, int n, float[] out) {
        if (fused) {
            matmul(up, in, n, hb);
            for (int b = 0; b < n; b++) {
                if (bUp != null) k.addBias(hb, b * 2 * ff, bUp, 2 * ff);
                activateGated(hb, b * 2 * ff, hb, b * 2 * ff + ff, ff);
                System.arraycopy(hb, b * 2 * ff, hb2, b * ff, ff);
            }
            System.arraycopy(hb2, 0, hb, 0, n * ff);
        } else if (gate != null) {
            matmul(gate, in, n, hb);
            matmul(up, in, n, hb2);
            for (int b = 0; b < n; b++) activateGated(hb, b * ff, hb2, b * ff, ff);
        } else {
            matmul(up, in, n, hb);
            for (int b = 0; b < n; b++) {
                if (bUp != null) k.addBias(hb, b * ff, bUp, ff);
                if (c.arch().activation() == Activation.GELU) k.gelu(hb, b * ff, ff);
                else throw new IllegalStateException("ungated " + c.arch().activation() + " feed-forward is not implemented");
            }
        }
        matmul(down, hb, n, out);
        if (bDown != null) for (int b = 0; b < n; b++) k.addBias(out, b * c.dim(), bDown, c.dim());
    }

    private void activateGated(float[] gate, int gOff, float[] up, int uOff, int n) {
        if (c.arch().activation() == Activation.GELU) k.geglu(gate, gOff, up, uOff, n);
        else k.swiglu(gate, gOff, up, uOff, n);
    }

    /**
     * Mixture of experts: route every token, then run each chosen expert once over all the tokens that chose it (so its
     * weights stream once per batch and unchosen experts are never read), and add the weighted outputs.
     * A shared expert, when present, runs densely on every token with its own sigmoid gate.
     */
    private void moe(Weights.Layer L, int n) {
        int dim = c.dim(), ne = c.experts(), ef = c.expertFfnDim();
        matmul(L.router, xb, n, routerLogits);
        for (int b = 0; b < n; b++) router.route(routerLogits, b * ne, ne, choices[b]);
        Arrays.fill(ffOut, 0, n * dim, 0f);
        for (int e = 0; e < ne; e++) {
            int rows = 0;
            for (int b = 0; b < n; b++) {
                ExpertChoice ch = choices[b];
                for (int j = 0; j < ch.count; j++) {
                    if (ch.experts[j] == e) {
                        expertRows[rows] = b;
                        System.arraycopy(xb, b * dim, moeIn, rows * dim, dim);
                        rows++;
                    }
                }
            }
            if (rows == 0) continue;
            matmul(L.gateExp[e], moeIn, rows, moeGate);
            matmul(L.upExp[e], moeIn, rows, moeUp);
            for (int r = 0; r < rows; r++) activateGated(moeGate, r * ef, moeUp, r * ef, ef);
            matmul(L.downExp[e], moeGate, rows, moeOut);
            for (int r = 0; r < rows; r++) {
                int b = expertRows[r];
                ExpertChoice ch = choices[b];
                float weight = 0;
                for (int j = 0; j < ch.count; j++) if (ch.experts[j] == e) weight = ch.weights[j];
                k.axpy(weight, moeOut, r * dim, ffOut, b * dim, dim);
            }
        }
        if (L.wUpShared != null) {
            int sf = c.sharedExpertFfnDim();
            float[] shared = moeOut;
            dense(L.wGateShared, L.wUpShared, L.wDownShared, null, null, false, sf, xb, n, shared);
            for (int b = 0; b < n; b++) {
                float g = 1f;
                if (L.sharedGate != null) g = (float) (1.0 / (1.0 + Math.exp(-k.dot(L.sharedGate, 0, xb, b * dim, dim))));
                k.axpy(g, shared, b * dim, ffOut, b * dim, dim);
            }
        }
    }

    private void matmul(Tensor weight, float[] in, int n, float[] out) {
        matmul(weight, in, n, 0, out);
    }

    /** out = weight · in for n rows that belong to the pass's tokens firstToken.., plus the hook's deltas. */
    private void matmul(Tensor weight, float[] in, int n, int firstToken, float[] out) {
        if (n == 1) k.matvec(pool, weight, in, 0, out, 0);
        else k.matmul(pool, weight, in, n, out);
        if (hook != null) hook.afterMatmul(weight, in, n, firstToken, out);
    }
}
