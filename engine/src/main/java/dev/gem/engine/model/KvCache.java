package dev.gem.engine.model;

/**
 * Keys and values of every layer for positions [0, capacity). Row t of a layer holds position t's keys (kvDim values)
 * and values (kvDimV values), so one head's history is a strided walk, which is what {@code Kernels.attend} takes.
 */
public final class KvCache {
    final float[][] keys;
    final float[][] values;
    final int kvDim, kvDimV;
    final int capacity;

    public KvCache(ModelConfig c, int capacity) {
        this.kvDim = c.kvDim();
        this.kvDimV = c.kvDimV();
        this.capacity = capacity;
        if ((long) capacity * Math.max(kvDim, kvDimV) > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException("context of " + capacity + " positions is too large for one layer's cache");
        keys = new float[c.layers()][];
        values = new float[c.layers()][];
        for (int l = 0; l < c.layers(); l++) {
            keys[l] = new float[capacity * kvDim];
            values[l] = new float[capacity * kvDimV];
        }
    }

    public int capacity() { return capacity; }

    /** Bytes the cache holds for a model shape and context size, for sizing decisions before allocating. */
    public static long bytesFor(ModelConfig c, int capacity) {
        return (long) c.layers() * capacity * (c.kvDim() + c.kvDimV()) * Float.BYTES;
    }
}
