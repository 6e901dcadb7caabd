package dev.gem.engine.model;

import dev.gem.tensor.DType;

/**
 * Keys and values of every layer for positions [0, capacity). Row t of a layer holds position t's keys (kvDim values)
 * and values (kvDimV values), so one head's history is a strided walk, which is what {@code Kernels.attend} takes.
 *
 * <p>Stored as {@link DType#F16} (llama.cpp's default: half the memory and half the bytes attention reads per token,
 * values rounded to nearest) or {@link DType#F32} (exact; the llama.cpp reference fixtures are made with an F32 cache,
 * so the tests that compare with them use it).
 *
 * <p>Layers start with room for {@link #INITIAL} positions and grow (doubling, up to the capacity) as positions are
 * stored: a session that uses 50 positions of a 4096-position context does not allocate and zero the whole cache
 * (134 MB for a Llama-3.2-1B shape in F16, which took 18 ms per new session and kept the collector busy during the
 * timed work that followed).
 */
public final class KvCache {
    /** Positions a layer has room for before its first growth. */
    static final int INITIAL = 256;

    final DType type;
    final float[][] keys, values;     // F32
    final short[][] keys16, values16; // F16 bits
    final int kvDim, kvDimV;
    final int capacity;

    public KvCache(ModelConfig c, int capacity) {
        this(c, capacity, DType.F32);
    }

    public KvCache(ModelConfig c, int capacity, DType type) {
        if (type != DType.F32 && type != DType.F16)
            throw new IllegalArgumentException("KV cache type must be F16 or F32, not " + type);
        this.type = type;
        this.kvDim = c.kvDim();
        this.kvDimV = c.kvDimV();
        this.capacity = capacity;
        if ((long) capacity * Math.max(kvDim, kvDimV) > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException("context of " + capacity + " positions is too large for one layer's cache");
        int layers = c.layers();
        boolean half = type == DType.F16;
        keys = half ? null : new float[layers][];
        values = half ? null : new float[layers][];
        keys16 = half ? new short[layers][] : null;
        values16 = half ? new short[layers][] : null;
        int room = Math.min(capacity, INITIAL);
        for (int l = 0; l < layers; l++) {
            if (half) {
                keys16[l] = new short[room * kvDim];
                values16[l] = new short[room * kvDimV];
            } else {
                keys[l] = new float[room * kvDim];
                values[l] = new float[room * kvDimV];
            }
        }
    }

    /** Positions layer l has room for now (at most the capacity). */
    int room(int l) {
        return type == DType.F32 ? keys[l].length / Math.max(1, kvDim) : keys16[l].length / Math.max(1, kvDim);
    }

    /** Gives layer l room for positions [0, end): doubles (at least to end), capped at the capacity. */
    private void ensure(int l, int end) {
        int room = room(l);
        if (end <= room) return;
        int grown = (int) Math.min(capacity, Math.max(end, 2L * room));
        if (type == DType.F32) {
            keys[l] = java.util.Arrays.copyOf(keys[l], grown * kvDim);
            values[l] = java.util.Arrays.copyOf(values[l], grown * kvDimV);
        } else {
            keys16[l] = java.util.Arrays.copyOf(keys16[l], grown * kvDim);
            values16[l] = java.util.Arrays.copyOf(values16[l], grown * kvDimV);
        }
    }

    public int capacity() { return capacity; }

    public DType type() { return type; }

    /**
     * Stores n positions' keys (k, kvDim each) and values (v, kvDimV each) from position pos0 of layer l, growing the
     * layer first if needed: readers take the layer's arrays after storing (as attention does), never before.
     */
    void store(int l, int pos0, int n, float[] k, float[] v) {
        ensure(l, pos0 + n);
        if (type == DType.F32) {
            System.arraycopy(k, 0, keys[l], pos0 * kvDim, n * kvDim);
            System.arraycopy(v, 0, values[l], pos0 * kvDimV, n * kvDimV);
        } else {
            toHalf(k, keys16[l], pos0 * kvDim, n * kvDim);
            toHalf(v, values16[l], pos0 * kvDimV, n * kvDimV);
        }
    }

    /** Rounds to fp16, nearest even, as ggml does; C2 compiles this loop to vector conversions (vcvtps2ph). */
    private static void toHalf(float[] src, short[] dst, int at, int n) {
        for (int i = 0; i < n; i++) dst[at + i] = Float.floatToFloat16(src[i]);
    }

    /** Bytes an F32 cache holds for a model shape and context size, for sizing decisions before allocating. */
    public static long bytesFor(ModelConfig c, int capacity) {
        return bytesFor(c, capacity, DType.F32);
    }

    /** Bytes a cache of the given type holds for a model shape and context size. */
    public static long bytesFor(ModelConfig c, int capacity, DType type) {
        return (long) c.layers() * capacity * (c.kvDim() + c.kvDimV()) * (type == DType.F16 ? 2 : 4);
    }
}
