package dev.gem.engine.model;

import dev.gem.tensor.Tensor;

/**
 * What the token router adds to a forward pass, per token: a decision at a layer (from the residual stream there) and
 * low-rank weight deltas (LoRA adapters) after matrix products. The {@link Transformer} calls it at fixed points and
 * otherwise knows nothing of domains or adapters.
 */
public interface PassHook {
    /** A pass begins: {@code n} tokens, {@code tokens[off .. off+n)}, at positions pos0 .. pos0+n-1. */
    void beginPass(int[] tokens, int off, int n, int pos0);

    /**
     * Layer {@code l} is about to run, or to be bypassed when {@code skipped}; {@code hidden} holds the residual stream
     * (row b, of dim floats, is token b's state after the layers before l).
     */
    void beforeLayer(int l, boolean skipped, float[] hidden, int n);

    /**
     * {@code out} now holds {@code weight · in} for {@code rows} rows, which are the pass's tokens firstToken ..
     * firstToken+rows-1 (row r of in and out belongs to token firstToken + r). The hook may add to out.
     */
    void afterMatmul(Tensor weight, float[] in, int rows, int firstToken, float[] out);
}
