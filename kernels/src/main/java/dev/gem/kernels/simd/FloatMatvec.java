package dev.gem.kernels.simd;

import dev.gem.tensor.Tensor;
import jdk.incubator.vector.FloatVector;

import static dev.gem.kernels.simd.VectorKernels.F;
import static dev.gem.kernels.simd.VectorKernels.L;
import static dev.gem.kernels.simd.VectorKernels.SWAP1;
import static dev.gem.kernels.simd.VectorKernels.SWAP2;
import static dev.gem.kernels.simd.VectorKernels.SWAP4;
import static dev.gem.kernels.simd.VectorKernels.SWAP8;

/**
 * Matrix products of every weight type the backend decodes, for matrices not repacked for the integer kernels:
 * a chunk of a row is decoded to floats once ({@link VectorKernels#decode}, bit for bit what {@code row} gives) and
 * multiplied with the activations of each token by fused multiply-adds. matvec is the one-token case of the same
 * code, so a token's result never depends on its batch.
 *
 * <h2>Arithmetic, per row and token</h2>
 * One accumulator vector over k (lane i takes k ≡ i mod L), multiply-added in k order chunk after chunk; the chunk's
 * last len mod L values (only float types have rows that are not a multiple of L) are summed in order in scalar; at
 * the end, the accumulator's lanes are added pairwise in a fixed order (as in {@link Int8Matvec}) and the scalar tail
 * added last.
 *
 * <h2>Speed</h2>
 * Prompts: decoding is paid once per row and batch; four rows and four tokens make a tile of sixteen accumulators. Decoding: four rows from four parts of the thread's range are decoded chunk by chunk in turn, so
 * the core streams from four places at once (see {@link Int8Matvec#rows4Q4}).
 */
final class FloatMatvec {
    private FloatMatvec() {}

    /** Columns decoded at a time: a multiple of every block size (32, 256) and of every lane count. */
    static final int CHUNK = 512;

    /** Per-thread buffers: decoded chunks of four rows, and accumulators of a batch's tokens. */
    private static final class Scratch {
        final float[] rows = new float[4 * CHUNK];
        float[] acc = new float[0];
        float[] tail = new float[0];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** out[outOff + r] = row r · x[xOff ..] for rows [r0, r1): in fours from four quarters of the range. */
    static void matvec(VectorKernels k, Tensor w, float[] x, int xOff, int r0, int r1, float[] out, int outOff) {
        float[] buf = SCRATCH.get().rows;
        int cols = w.cols(), quarter = (r1 - r0) / 4;
        for (int i = 0; i < quarter; i++) {
            int ra = r0 + i, rb = ra + quarter, rc = rb + quarter, rd = rc + quarter;
            FloatVector a = FloatVector.zero(F), b = a, c = a, d = a;
            float ta = 0, tb = 0, tc = 0, td = 0;
            for (int c0 = 0; c0 < cols; c0 += CHUNK) {
                int len = Math.min(CHUNK, cols - c0), vec = len / L * L;
                k.decode(w, ra, c0, len, buf, 0);
                k.decode(w, rb, c0, len, buf, CHUNK);
                k.decode(w, rc, c0, len, buf, 2 * CHUNK);
                k.decode(w, rd, c0, len, buf, 3 * CHUNK);
                for (int j = 0; j < vec; j += L) {
                    FloatVector xv = FloatVector.fromArray(F, x, xOff + c0 + j);
                    a = FloatVector.fromArray(F, buf, j).fma(xv, a);
                    b = FloatVector.fromArray(F, buf, CHUNK + j).fma(xv, b);
                    c = FloatVector.fromArray(F, buf, 2 * CHUNK + j).fma(xv, c);
                    d = FloatVector.fromArray(F, buf, 3 * CHUNK + j).fma(xv, d);
                }
                for (int j = vec; j < len; j++) {
                    float xj = x[xOff + c0 + j];
                    ta += buf[j] * xj;
                    tb += buf[CHUNK + j] * xj;
                    tc += buf[2 * CHUNK + j] * xj;
                    td += buf[3 * CHUNK + j] * xj;
                }
            }
            for (int q = 0; q < 4; q++) {
                FloatVector v = q == 0 ? a : q == 1 ? b : q == 2 ? c : d;
                v = L > 8 ? v.add(v.rearrange(SWAP8)) : v;
                v = L > 4 ? v.add(v.rearrange(SWAP4)) : v;
                v = v.add(v.rearrange(SWAP2));
                v = v.add(v.rearrange(SWAP1));
                out[outOff + (q == 0 ? ra : q == 1 ? rb : q == 2 ? rc : rd)] = v.lane(0) + (q == 0 ? ta : q == 1 ? tb : q == 2 ? tc : td);
            }
        }
        for (int r = r0 + 4 * quarter; r < r1; r++) matmulRow(k, w, r, x, xOff, 1, out, outOff, 0);
    }

    /**
     * out[t·rows + r] for rows [r0, r1) and tokens [0, n) (token t's activations at x[t·cols]): four rows at a time, each
     * chunk of activations loaded once for the four rows' multiply-adds (16 multiply-adds per 8 loads, where one row
     * at a time was bound by reloading every token's activations from L2: 60 GFLOP/s).
     */
    static void matmul(VectorKernels k, Tensor w, float[] x, int n, int r0, int r1, float[] out) {
        int r = r0;
        for (; r + 4 <= r1; r += 4) matmul4(k, w, r, x, n, out, w.rows());
        for (; r < r1; r++) matmulRow(k, w, r, x, 0, n, out, 0, w.rows());
    }

    /** Rows r .. r+3 with n tokens: for each (row, token), the operations of {@link #matmulRow}. */
    private static void matmul4(VectorKernels k, Tensor w, int r, float[] x, int n, float[] out, int stride) {
        Scratch s = SCRATCH.get();
        if (s.acc.length < 4 * n * L) {
            s.acc = new float[4 * n * L];
            s.tail = new float[4 * n];
        }
        float[] buf = s.rows, acc = s.acc, tail = s.tail;
        java.util.Arrays.fill(acc, 0, 4 * n * L, 0f);
        java.util.Arrays.fill(tail, 0, 4 * n, 0f);
        int cols = w.cols();
        for (int c0 = 0; c0 < cols; c0 += CHUNK) {
            int len = Math.min(CHUNK, cols - c0), vec = len / L * L;
            for (int i = 0; i < 4; i++) k.decode(w, r + i, c0, len, buf, i * CHUNK);
            int t = 0;
            for (; t + 4 <= n; t += 4) {
                // acc layout: row i, token t at (i·n + t)·L
                int x0 = t * cols + c0;
                FloatVector a00 = FloatVector.fromArray(F, acc, t * L), a01 = FloatVector.fromArray(F, acc, (t + 1) * L);
                FloatVector a02 = FloatVector.fromArray(F, acc, (t + 2) * L), a03 = FloatVector.fromArray(F, acc, (t + 3) * L);
                FloatVector a10 = FloatVector.fromArray(F, acc, (n + t) * L), a11 = FloatVector.fromArray(F, acc, (n + t + 1) * L);
                FloatVector a12 = FloatVector.fromArray(F, acc, (n + t + 2) * L), a13 = FloatVector.fromArray(F, acc, (n + t + 3) * L);
                FloatVector a20 = FloatVector.fromArray(F, acc, (2 * n + t) * L), a21 = FloatVector.fromArray(F, acc, (2 * n + t + 1) * L);
                FloatVector a22 = FloatVector.fromArray(F, acc, (2 * n + t + 2) * L), a23 = FloatVector.fromArray(F, acc, (2 * n + t + 3) * L);
                FloatVector a30 = FloatVector.fromArray(F, acc, (3 * n + t) * L), a31 = FloatVector.fromArray(F, acc, (3 * n + t + 1) * L);
                FloatVector a32 = FloatVector.fromArray(F, acc, (3 * n + t + 2) * L), a33 = FloatVector.fromArray(F, acc, (3 * n + t + 3) * L);
                for (int j = 0; j < vec; j += L) {
                    FloatVector x0v = FloatVector.fromArray(F, x, x0 + j), x1v = FloatVector.fromArray(F, x, x0 + cols + j);
                    FloatVector x2v = FloatVector.fromArray(F, x, x0 + 2 * cols + j), x3v = FloatVector.fromArray(F, x, x0 + 3 * cols + j);
                    FloatVector wv = FloatVector.fromArray(F, buf, j);
                    a00 = wv.fma(x0v, a00); a01 = wv.fma(x1v, a01); a02 = wv.fma(x2v, a02); a03 = wv.fma(x3v, a03);
                    wv = FloatVector.fromArray(F, buf, CHUNK + j);
                    a10 = wv.fma(x0v, a10); a11 = wv.fma(x1v, a11); a12 = wv.fma(x2v, a12); a13 = wv.fma(x3v, a13);
                    wv = FloatVector.fromArray(F, buf, 2 * CHUNK + j);
                    a20 = wv.fma(x0v, a20); a21 = wv.fma(x1v, a21); a22 = wv.fma(x2v, a22); a23 = wv.fma(x3v, a23);
                    wv = FloatVector.fromArray(F, buf, 3 * CHUNK + j);
                    a30 = wv.fma(x0v, a30); a31 = wv.fma(x1v, a31); a32 = wv.fma(x2v, a32); a33 = wv.fma(x3v, a33);
                }
                a00.intoArray(acc, t * L); a01.intoArray(acc, (t + 1) * L); a02.intoArray(acc, (t + 2) * L); a03.intoArray(acc, (t + 3) * L);
                a10.intoArray(acc, (n + t) * L); a11.intoArray(acc, (n + t + 1) * L); a12.intoArray(acc, (n + t + 2) * L); a13.intoArray(acc, (n + t + 3) * L);
                a20.intoArray(acc, (2 * n + t) * L); a21.intoArray(acc, (2 * n + t + 1) * L); a22.intoArray(acc, (2 * n + t + 2) * L); a23.intoArray(acc, (2 * n + t + 3) * L);
                a30.intoArray(acc, (3 * n + t) * L); a31.intoArray(acc, (3 * n + t + 1) * L); a32.intoArray(acc, (3 * n + t + 2) * L); a33.intoArray(acc, (3 * n + t + 3) * L);
            }
            for (; t < n; t++) {
                int x0 = t * cols + c0;
                for (int i = 0; i < 4; i++) {
                    FloatVector a = FloatVector.fromArray(F, acc, (i * n + t) * L);
                    for (int j = 0; j < vec; j += L)
                        a = FloatVector.fromArray(F, buf, i * CHUNK + j).fma(FloatVector.fromArray(F, x, x0 + j), a);
                    a.intoArray(acc, (i * n + t) * L);
                }
            }
            if (vec < len)
                for (int i = 0; i < 4; i++)
                    for (t = 0; t < n; t++) {
                        int x0 = t * cols + c0;
                        float sum = tail[i * n + t];
                        for (int j = vec; j < len; j++) sum += buf[i * CHUNK + j] * x[x0 + j];
                        tail[i * n + t] = sum;
                    }
        }
        for (int i = 0; i < 4; i++)
            for (int t = 0; t < n; t++) {
                FloatVector v = FloatVector.fromArray(F, acc, (i * n + t) * L);
                v = L > 8 ? v.add(v.rearrange(SWAP8)) : v;
                v = L > 4 ? v.add(v.rearrange(SWAP4)) : v;
                v = v.add(v.rearrange(SWAP2));
                v = v.add(v.rearrange(SWAP1));
                out[t * stride + r + i] = v.lane(0) + tail[i * n + t];
            }
    }

    /**
     * Row r dotted with n tokens (token t at x[xOff + t·cols]) into out[outOff + t·stride + r]: each decoded vector is
     * loaded once for four tokens; accumulators wait in the scratch between chunks (exact: a store and a load).
     */
    private static void matmulRow(VectorKernels k, Tensor w, int r, float[] x, int xOff, int n, float[] out, int outOff, int stride) {
        Scratch s = SCRATCH.get();
        if (s.acc.length < n * L) {
            s.acc = new float[n * L];
            s.tail = new float[n];
        }
        float[] buf = s.rows, acc = s.acc, tail = s.tail;
        java.util.Arrays.fill(acc, 0, n * L, 0f);
        java.util.Arrays.fill(tail, 0, n, 0f);
        int cols = w.cols();
        for (int c0 = 0; c0 < cols; c0 += CHUNK) {
            int len = Math.min(CHUNK, cols - c0), vec = len / L * L;
            k.decode(w, r, c0, len, buf, 0);
            int t = 0;
            for (; t + 4 <= n; t += 4) {
                int x0 = xOff + t * cols + c0, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
                FloatVector a0 = FloatVector.fromArray(F, acc, t * L), a1 = FloatVector.fromArray(F, acc, (t + 1) * L);
                FloatVector a2 = FloatVector.fromArray(F, acc, (t + 2) * L), a3 = FloatVector.fromArray(F, acc, (t + 3) * L);
                for (int j = 0; j < vec; j += L) {
                    FloatVector wv = FloatVector.fromArray(F, buf, j);
                    a0 = wv.fma(FloatVector.fromArray(F, x, x0 + j), a0);
                    a1 = wv.fma(FloatVector.fromArray(F, x, x1 + j), a1);
                    a2 = wv.fma(FloatVector.fromArray(F, x, x2 + j), a2);
                    a3 = wv.fma(FloatVector.fromArray(F, x, x3 + j), a3);
                }
                a0.intoArray(acc, t * L);
                a1.intoArray(acc, (t + 1) * L);
                a2.intoArray(acc, (t + 2) * L);
                a3.intoArray(acc, (t + 3) * L);
            }
            for (; t < n; t++) {
                int x0 = xOff + t * cols + c0;
                FloatVector a0 = FloatVector.fromArray(F, acc, t * L);
                for (int j = 0; j < vec; j += L) a0 = FloatVector.fromArray(F, buf, j).fma(FloatVector.fromArray(F, x, x0 + j), a0);
                a0.intoArray(acc, t * L);
            }
            if (vec < len)
                for (t = 0; t < n; t++) {
                    int x0 = xOff + t * cols + c0;
                    float sum = tail[t];
                    for (int j = vec; j < len; j++) sum += buf[j] * x[x0 + j];
                    tail[t] = sum;
                }
        }
        for (int t = 0; t < n; t++) {
            FloatVector v = FloatVector.fromArray(F, acc, t * L);
            v = L > 8 ? v.add(v.rearrange(SWAP8)) : v;
            v = L > 4 ? v.add(v.rearrange(SWAP4)) : v;
            v = v.add(v.rearrange(SWAP2));
            v = v.add(v.rearrange(SWAP1));
            out[outOff + t * stride + r] = v.lane(0) + tail[t];
        }
    }
}
