package dev.gem.kernels;

import dev.gem.tensor.DType;
import dev.gem.tensor.Tensor;

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
     * out[outOff + r] = w.row(r) · x[xOff ..] for every row r of w, rows split across the pool's threads.
     */
    public void matvec(ThreadPool pool, Tensor w, float[] x, int xOff, float[] out, int outOff) {
        pool.forRange(w.rows(), (start, end) -> {
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
        pool.forRange(rows, (start, end) -> {
            for (int r = start; r < end; r++)
                for (int t = 0; t < n; t++) out[t * rows + r] = dot(w, r, x, t * in);
        });
    }

    /** Copies row {@code row} of {@code w}, decoded to floats, into {@code out[outOff ..]} (embedding lookups). */
    public abstract void row(Tensor w, long row, float[] out, int outOff);

    /**
     * One query head attending over cached positions [0, n): scores = q·k_t * scale, softmax, out = sum p_t v_t.
     * Key and value of position t start at {@code kv + t * stride} in {@code keys} and {@code values}.
     * {@code scratch} holds at least n floats.
     */
    public void attend(float[] q, int qOff, float[] keys, float[] values, int kv, int stride, int n, int headDim,
                       float scale, float[] scratch, float[] out, int outOff) {
        for (int t = 0; t < n; t++) scratch[t] = dot(q, qOff, keys, kv + t * stride, headDim) * scale;
        softmax(scratch, 0, n);
        java.util.Arrays.fill(out, outOff, outOff + headDim, 0f);
        for (int t = 0; t < n; t++) axpy(scratch[t], values, kv + t * stride, out, outOff, headDim);
    }
}
