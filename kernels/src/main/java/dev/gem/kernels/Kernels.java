package dev.gem.kernels;

import dev.gem.tensor.DType;
import dev.gem.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.LongFunction;

/**
 * The compute primitives of a forward pass, implemented once per backend (scalar reference, Vector API by width).
 * The engine sees only this class; which implementation runs is decided once at start-up by {@link Backend}.
 *
 * <p>Activations are plain {@code float[]} with explicit offsets; weights are {@link Tensor} views of any supported
 * {@link DType}, usually straight out of the mapped model file.
 */
public abstract class Kernels {

    /** Short human name of the backend, e.g. "vector-512" or "scalar". */
    public abstract String name();

    /** SIMD width in bits, 0 for the scalar backend. */
    public abstract int vectorBits();

    /** Whether {@link #dot} and the matrix products accept weights of this type. */
    public abstract boolean supports(DType type);

    /** Row {@code row} of {@code w} (any supported type) dotted with {@code x[xOff .. xOff + w.cols())}. */
    public abstract float dot(Tensor w, long row, float[] x, int xOff);

    /** Sum of a[aOff+i] * b[bOff+i] for i in [0, n). */
    public abstract float dot(float[] a, int aOff, float[] b, int bOff, int n);

    /** y[yOff+i] += a * x[xOff+i] for i in [0, n). */
    public abstract void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n);

    /** out = x / rms(x) * w over n values (w may be null: no scale). out may alias x. */
    public abstract void rmsnorm(float[] out, int outOff, float[] x, int xOff, float[] w, int n, float eps);

    /** In-place softmax of x[off .. off+n). */
    public abstract void softmax(float[] x, int off, int n);

    /** gate[i] = silu(gate[i]) * up[i]: the SwiGLU activation. */
    public abstract void swiglu(float[] gate, int gOff, float[] up, int uOff, int n);

    /** y[yOff+i] += x[xOff+i]: residual connections. */
    public abstract void add(float[] y, int yOff, float[] x, int xOff, int n);

    /**
     * Readies weight matrix {@code w} for {@link #matvec} and {@link #matmul}: a backend may keep a repacked copy of it
     * (as long as {@code w} is reachable) where that measurably speeds the products up. Returns whether it made one;
     * the default, and every backend for types it would not gain on, reads the tensor where it is (zero-copy).
     * The tensor itself is never changed, so {@link #row} and {@link #dot} see the original.
     */
    public final boolean prepare(ThreadPool pool, Tensor w) {
        return prepare(pool, w, NATIVE_MEMORY);
    }

    /**
     * {@link #prepare(ThreadPool, Tensor)}, with the copy placed in {@code memory.apply(bytes)}: 64-byte aligned, and
     * valid for as long as {@code w} is multiplied with (a model closes its arena, and with it the copies, when it
     * closes). Whatever {@code memory} throws (an OutOfMemoryError) reaches the caller, and {@code w} stays zero-copy.
     */
    public boolean prepare(ThreadPool pool, Tensor w, LongFunction<MemorySegment> memory) {
        return false;
    }

    /** Native memory that goes when unreachable; the JVM caps its total (-XX:MaxDirectMemorySize). */
    public static final LongFunction<MemorySegment> NATIVE_MEMORY = bytes -> Arena.ofAuto().allocate(bytes, 64);

    /**
     * The format {@link #matvec} rounds the activations to before multiplying them with {@code w}: {@link DType#F32}
     * when it uses them as they are, {@link DType#Q8_0} when it rounds them to 8-bit integers per block of 32 the way
     * llama.cpp does for Q4_0 and Q8_0 weights (d = amax/127 kept as fp16, quants rounded to nearest even).
     */
    public DType matvecActivations(Tensor w) {
        return DType.F32;
    }

    /**
     * out[outOff + r] = w.row(r) · x[xOff ..] for every row r of w, rows split across the pool's threads.
     */
    public void matvec(ThreadPool pool, Tensor w, float[] x, int xOff, float[] out, int outOff) {
        pool.forRange(w.rows(), w.cols(), (start, end) -> {
            for (int r = start; r < end; r++) out[outOff + r] = dot(w, r, x, xOff);
        });
    }

    /**
     * A batch of matrix-vector products with the same weights: for each of the {@code n} input rows of
     * {@code x} (row length w.cols(), stride w.cols()), writes the w.rows() outputs into {@code out} (stride w.rows()).
     * Backends override this to stream each weight row once for the whole batch.
     */
    public void matmul(ThreadPool pool, Tensor w, float[] x, int n, float[] out) {
        int in = w.cols(), rows = w.rows();
        pool.forRange(rows, (long) in * n, (start, end) -> {
            for (int r = start; r < end; r++)
                for (int t = 0; t < n; t++) out[t * rows + r] = dot(w, r, x, t * in);
        });
    }

    /** Copies row {@code row} of {@code w}, decoded to floats, into {@code out[outOff ..]} (embedding lookups). */
    public abstract void row(Tensor w, long row, float[] out, int outOff);

    /**
     * One query head attending over cached positions [from, to): scores = q·k_t * scale (then c·tanh(score/c) when
     * {@code softcap} c is positive), softmax, out = sum p_t v_t. The key of position t starts at
     * {@code kOff + t * kStride} in {@code keys}, its value at {@code vOff + t * vStride} in {@code values}.
     * {@code scratch} holds at least {@code to} floats.
     */
    public void attend(float[] q, int qOff, float[] keys, int kOff, int kStride, float[] values, int vOff, int vStride,
                       int from, int to, int headDim, int headDimV, float scale, float softcap, float[] scratch,
                       float[] out, int outOff) {
        for (int t = from; t < to; t++) scratch[t] = dot(q, qOff, keys, kOff + t * kStride, headDim) * scale;
        if (softcap > 0) for (int t = from; t < to; t++) scratch[t] = softcap * (float) Math.tanh(scratch[t] / softcap);
        softmax(scratch, from, to - from);
        java.util.Arrays.fill(out, outOff, outOff + headDimV, 0f);
        for (int t = from; t < to; t++) axpy(scratch[t], values, vOff + t * vStride, out, outOff, headDimV);
    }

    /**
     * {@link #attend} over a cache stored as fp16 bits (keys and values rounded to half precision): the same
     * computation on the decoded values.
     */
    public void attend(float[] q, int qOff, short[] keys, int kOff, int kStride, short[] values, int vOff, int vStride,
                       int from, int to, int headDim, int headDimV, float scale, float softcap, float[] scratch,
                       float[] out, int outOff) {
        float[] row = HALF_ROW.get();
        if (row.length < Math.max(headDim, headDimV)) HALF_ROW.set(row = new float[Math.max(headDim, headDimV)]);
        for (int t = from; t < to; t++) {
            halfToFloat(keys, kOff + t * kStride, row, headDim);
            scratch[t] = dot(q, qOff, row, 0, headDim) * scale;
        }
        if (softcap > 0) for (int t = from; t < to; t++) scratch[t] = softcap * (float) Math.tanh(scratch[t] / softcap);
        softmax(scratch, from, to - from);
        java.util.Arrays.fill(out, outOff, outOff + headDimV, 0f);
        for (int t = from; t < to; t++) {
            halfToFloat(values, vOff + t * vStride, row, headDimV);
            axpy(scratch[t], row, 0, out, outOff, headDimV);
        }
    }

    /**
     * {@link #attend(float[], int, short[], int, int, short[], int, int, int, int, int, int, float, float, float[], float[], int)}
     * for {@code heads} query heads that share one key/value head (grouped-query attention): head i's query at
     * {@code qOff + i·headDim}, its output at {@code outOff + i·headDimV}, each with exactly the single head's
     * arithmetic (so the same bits), which lets a backend read and decode each cached row once for all of them.
     * {@code scratch} holds at least {@code heads · to} floats.
     */
    public void attendHeads(int heads, float[] q, int qOff, short[] keys, int kOff, int kStride, short[] values, int vOff,
                            int vStride, int from, int to, int headDim, int headDimV, float scale, float softcap,
                            float[] scratch, float[] out, int outOff) {
        for (int i = 0; i < heads; i++)
            attend(q, qOff + i * headDim, keys, kOff, kStride, values, vOff, vStride, from, to, headDim, headDimV, scale,
                    softcap, scratch, out, outOff + i * headDimV);
    }

    /** Per-thread buffer for one decoded fp16 key or value row. */
    private static final ThreadLocal<float[]> HALF_ROW = ThreadLocal.withInitial(() -> new float[256]);

    /** dst[i] = src[off + i] as fp16 bits decoded; a loop C2 compiles to vector conversions (vcvtph2ps on x86). */
    protected static void halfToFloat(short[] src, int off, float[] dst, int n) {
        for (int i = 0; i < n; i++) dst[i] = Float.float16ToFloat(src[off + i]);
    }

    /**
     * The sum of the 64-bit little-endian words of {@code s} in [from, to) (both multiples of 256), read with the
     * widest loads this backend has: the memory-bandwidth probe the benchmarks set matrix products against.
     */
    public long streamSum(java.lang.foreign.MemorySegment s, long from, long to) {
        long a = 0, b = 0, c = 0, d = 0;
        for (long o = from; o < to; o += 32) {
            a += s.get(dev.gem.tensor.LE.LONG, o);
            b += s.get(dev.gem.tensor.LE.LONG, o + 8);
            c += s.get(dev.gem.tensor.LE.LONG, o + 16);
            d += s.get(dev.gem.tensor.LE.LONG, o + 24);
        }
        return a + b + c + d;
    }

    /** LayerNorm: out = (x - mean) / sqrt(var + eps) * w + b (w, b may be null). out may alias x. */
    public void layernorm(float[] out, int outOff, float[] x, int xOff, float[] w, float[] b, int n, float eps) {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += x[xOff + i];
        float mean = (float) (sum / n);
        double var = 0;
        for (int i = 0; i < n; i++) {
            float d = x[xOff + i] - mean;
            var += d * d;
        }
        float inv = (float) (1.0 / Math.sqrt(var / n + eps));
        for (int i = 0; i < n; i++) {
            float v = (x[xOff + i] - mean) * inv;
            if (w != null) v *= w[i];
            if (b != null) v += b[i];
            out[outOff + i] = v;
        }
    }

    /**
     * GELU with the tanh approximation, evaluated the way ggml does it: the input rounded to fp16 and looked up in a
     * table of fp16 results. GGUF models are tuned and checked against that, and a lookup is cheaper than a tanh.
     */
    public void gelu(float[] x, int off, int n) {
        for (int i = 0; i < n; i++) x[off + i] = GeluTable.gelu(x[off + i]);
    }

    /** gate[i] = gelu(gate[i]) * up[i]: the GeGLU activation (Gemma). */
    public void geglu(float[] gate, int gOff, float[] up, int uOff, int n) {
        for (int i = 0; i < n; i++) gate[gOff + i] = GeluTable.gelu(gate[gOff + i]) * up[uOff + i];
    }

    /** x[off+i] *= s. */
    public void scale(float[] x, int off, int n, float s) {
        for (int i = 0; i < n; i++) x[off + i] *= s;
    }

    /** x[off+i] += b[i]: biases. */
    public void addBias(float[] x, int off, float[] b, int n) {
        add(x, off, b, 0, n);
    }
}
