package dev.gem.engine.model;

import dev.gem.tensor.DType;

/**
 * Keys and values of every layer for positions [0, capacity). Row t of a layer holds position t's keys (kvDim values)
 * and values (kvDimV values), so one head's history is a strided walk, which is what {@code Kernels.attend} takes.
 *
 * <p>Stored as {@link DType#F16} (llama.cpp's default: half the memory and half the bytes attention reads per token,
 * values rounded to nearest) or {@link DType#F32} (exact; the llama.cpp reference fixtures are made with an F32 cache,
 * so the tests that compare with them use it).
 */
public final class KvCache {
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
        for (int l = 0; l < layers; l++) {
            if (half) {
                keys16[l] = new short[capacity * kvDim];
                values16[l] = new short[capacity * kvDimV];
            } else {
                keys[l] = new float[capacity * kvDim];
                values[l] = new float[capacity * kvDimV];
            }
        }
    }

    public int capacity() { return capacity; }

    public DType type() { return type; }

    /** Stores n positions' keys (k, kvDim each) and values (v, kvDimV each) from position pos0 of layer l. */
    void store(int l, int pos0, int n, float[] k, float[] v) {
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
