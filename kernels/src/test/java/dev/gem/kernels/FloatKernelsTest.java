package dev.gem.kernels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;
import java.util.stream.IntStream;

import static dev.gem.kernels.KernelTesting.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The activation kernels of the backend under test against exact (double) references, on lengths around every vector
 * width (tails of 1 .. L-1 are scalar code) up to 4096, at non-zero array offsets.
 */
class FloatKernelsTest {

    static IntStream lengths() {
        return IntStream.of(1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 100, 127, 128, 129, 255,
                256, 257, 1000, 1023, 1024, 1025, 2047, 4095, 4096);
    }

    /** Gaussian values whose scale varies by up to four decades along the vector. */
    private static float[] values(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextDouble() * 4 - 2));
        return v;
    }

    @ParameterizedTest(name = "n = {0}")
    @MethodSource("lengths")
    void dotIsWithinSummationBound(int n) {
        Kernels k = kernels();
        Random r = new Random(n);
        float[] a = values(r, n + 3), b = values(r, n + 7);
        double exact = 0, sumAbs = 0;
        for (int i = 0; i < n; i++) {
            double t = (double) a[3 + i] * b[7 + i];
            exact += t;
            sumAbs += Math.abs(t);
        }
        float got = k.dot(a, 3, b, 7, n);
        double bound = sumBound(n, lanes(k), false, sumAbs), ref = exact;
        assertTrue(Math.abs(got - exact) <= bound, () -> k.name() + " n " + n + ": " + got + " vs " + ref);
    }

    /** Small integers: every order of summation is exact, so the result must equal the exact dot. */
    @ParameterizedTest(name = "n = {0}")
    @MethodSource("lengths")
    void dotIsExactOnIntegers(int n) {
        Kernels k = kernels();
        Random r = new Random(n + 1000);
        float[] a = new float[n + 1], b = new float[n + 2];
        for (int i = 0; i < a.length; i++) a[i] = r.nextInt(61) - 30;
        for (int i = 0; i < b.length; i++) b[i] = r.nextInt(61) - 30;
        long exact = 0;
        for (int i = 0; i < n; i++) exact += (long) a[1 + i] * (long) b[2 + i];
        assertEquals((float) exact, k.dot(a, 1, b, 2, n), k.name());
    }

    /** y + a·x with one rounding (fused) or two (scalar): within 2u·(|y| + |a·x|) of the exact value. */
    @ParameterizedTest(name = "n = {0}")
    @MethodSource("lengths")
    void axpy(int n) {
        Kernels k = kernels();
        Random r = new Random(n + 1);
        float[] x = values(r, n + 2), y = values(r, n + 5);
        float[] y0 = y.clone();
        float a = (float) r.nextGaussian() * 3;
        k.axpy(a, x, 2, y, 5, n);
        for (int i = 0; i < n + 5; i++) {
            if (i < 5) {
                assertEquals(y0[i], y[i], "axpy wrote before its offset");
                continue;
            }
            double exact = y0[i] + (double) a * x[i - 3];
            double bound = 2 * U * (Math.abs(y0[i]) + Math.abs((double) a * x[i - 3]));
            assertTrue(Math.abs(y[i] - exact) <= bound, k.name() + " element " + i);
        }
    }

    /** Addition of two floats rounds once in any backend: bit-exact. */
    @ParameterizedTest(name = "n = {0}")
    @MethodSource("lengths")
    void add(int n) {
        Kernels k = kernels();
        Random r = new Random(n + 2);
        float[] x = values(r, n + 1), y = values(r, n + 4);
        float[] want = y.clone();
        for (int i = 0; i < n; i++) want[4 + i] += x[1 + i];
        k.add(y, 4, x, 1, n);
        assertArrayEquals(want, y, k.name());
    }

    /**
     * Each output is x·s·w with s = 1/sqrt(Σx²/n + eps): the sum of squares has relative error γ_depth, which the
     * square root halves; the mean, eps, square root, reciprocal and two products add at most 6 more roundings.
     */
    @ParameterizedTest(name = "n = {0}")
    @MethodSource("lengths")
    void rmsnorm(int n) {
        Kernels k = kernels();
        Random r = new Random(n + 3);
        float[] x = values(r, n + 2), w = values(r, n);
        for (boolean weighted : new boolean[] {true, false}) {
            for (boolean inPlace : new boolean[] {false, true}) {
                float[] src = x.clone();
                float[] out = inPlace ? src : new float[n + 6];
                int outOff = inPlace ? 2 : 6;
                float eps = 1e-5f;
                k.rmsnorm(out, outOff, src, 2, weighted ? w : null, n, eps);
                double ss = 0;
                for (int i = 0; i < n; i++) ss += (double) x[2 + i] * x[2 + i];
                double scale = 1 / Math.sqrt(ss / n + eps);
                double rel = gamma(depth(n, lanes(k), false)) / 2 + gamma(6);
                for (int i = 0; i < n; i++) {
                    double exact = x[2 + i] * scale * (weighted ? w[i] : 1);
                    int fi = i;
                    assertTrue(Math.abs(out[outOff + i] - exact) <= rel * Math.abs(exact) + Float.MIN_VALUE,
                            () -> k.name() + " element " + fi + ": " + out[outOff + fi] + " vs " + exact);
                }
            }
        }
    }

    /**
     * exp(x_i - max) / Σ: the subtraction rounds (relative error u·|x_i - max| in the result after exp), exp is within
     * 1 ulp (Math.exp, and the Vector API's EXP by its specification, checked in ExpAccuracyTest), the sum carries its
     * terms' errors plus γ_depth, and the reciprocal and product two more roundings (one u of slack on top).
     */
    @ParameterizedTest(name = "n = {0}")
    @MethodSource("lengths")
    void softmax(int n) {
        Kernels k = kernels();
        Random r = new Random(n + 4);
        float[] x = new float[n + 3];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * 6);
        if (n > 4) x[3 + r.nextInt(n)] = Float.NEGATIVE_INFINITY; // a masked position
        float[] got = x.clone();
        k.softmax(got, 3, n);
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[3 + i]);
        // Relative error of one exp(x_i - max) term: 2u for exp within 1 ulp, u·|x_i - max| from the subtraction.
        double sum = 0, sumErr = 0;
        for (int i = 0; i < n; i++) {
            double e = Math.exp(x[3 + i] - max);
            sum += e;
            if (e > 0) sumErr += e * (2 + Math.abs(x[3 + i] - max)) * U;
        }
        // The float sum: its terms' errors plus γ_depth for adding them; then the reciprocal and the product.
        double base = gamma(depth(n, lanes(k), false)) + sumErr / sum + 3 * U;
        for (int i = 0; i < n; i++) {
            double exact = Math.exp(x[3 + i] - max) / sum;
            double rel = exact == 0 ? 0 : base + U * (2 + Math.abs(x[3 + i] - max)); // masked: exactly 0
            int fi = i;
            assertTrue(Math.abs(got[3 + i] - exact) <= rel * exact + Float.MIN_VALUE,
                    () -> k.name() + " element " + fi + ": " + got[3 + fi] + " vs " + exact);
        }
        for (int i = 0; i < 3; i++) assertEquals(x[i], got[i], "softmax wrote before its offset");
    }

    /**
     * g·up / (1 + exp(-g)): exp within 1 ulp, then 1 + e, the division and the product, each one rounding; the error of
     * e reaches the result scaled by e/(1+e) ≤ 1. Six roundings bound it.
     */
    @ParameterizedTest(name = "n = {0}")
    @MethodSource("lengths")
    void swiglu(int n) {
        Kernels k = kernels();
        Random r = new Random(n + 5);
        float[] g = new float[n + 1], up = values(r, n + 2);
        for (int i = 0; i < g.length; i++) g[i] = (float) (r.nextGaussian() * 8);
        if (n > 2) g[1] = -200f; // exp(200) overflows: silu is -0
        float[] got = g.clone();
        k.swiglu(got, 1, up, 2, n);
        for (int i = 0; i < n; i++) {
            double exact = g[1 + i] / (1 + Math.exp(-g[1 + i])) * up[2 + i];
            int fi = i;
            // Absolute slack of the smallest float for results that underflow (g = -200).
            assertTrue(Math.abs(got[1 + i] - exact) <= gamma(6) * Math.abs(exact) + Float.MIN_VALUE,
                    () -> k.name() + " element " + fi + ": " + got[1 + fi] + " vs " + exact);
        }
        assertEquals(g[0], got[0], "swiglu wrote before its offset");
    }

    /** One head attending over cached positions: the composition of dot, softmax and axpy against a double reference. */
    @Test
    void attend() {
        Kernels k = kernels();
        Random r = new Random(9);
        int headDim = 72, n = 45, stride = 3 * headDim, kv = headDim;
        float[] q = values(r, headDim + 1);
        float[] keys = new float[kv + n * stride], values = new float[kv + n * stride];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = (float) r.nextGaussian();
            values[i] = (float) r.nextGaussian();
        }
        float scale = (float) (1 / Math.sqrt(headDim));
        float[] out = new float[headDim + 2];
        k.attend(q, 1, keys, kv, stride, values, kv, stride, 0, n, headDim, headDim, scale, 0f, new float[n], out, 2);
        double[] p = new double[n];
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int t = 0; t < n; t++) {
            double s = 0;
            for (int i = 0; i < headDim; i++) s += (double) q[1 + i] * keys[kv + t * stride + i];
            p[t] = s * scale;
            max = Math.max(max, p[t]);
        }
        for (int t = 0; t < n; t++) sum += p[t] = Math.exp(p[t] - max);
        for (int i = 0; i < headDim; i++) {
            double exact = 0, abs = 0;
            for (int t = 0; t < n; t++) {
                exact += p[t] / sum * values[kv + t * stride + i];
                abs += Math.abs(p[t] / sum * values[kv + t * stride + i]);
            }
            // Loose on purpose: this checks the plumbing (offsets, strides); the parts have their own tight tests.
            assertEquals(exact, out[2 + i], 1e-4 * Math.max(1, abs), k.name() + " element " + i);
        }
    }

    /** The bandwidth probe's sum reads every 64-bit word of the range, at any 256-byte-aligned start and end. */
    @Test
    void streamSumAddsEveryWordOfTheRange() {
        Kernels k = kernels();
        Random r = new Random(4);
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment s = arena.allocate(64 * 1024, 64);
            for (long o = 0; o < s.byteSize(); o += 8) s.set(dev.gem.tensor.LE.LONG, o, r.nextLong());
            for (long[] range : new long[][] {{0, 64 * 1024}, {256, 512}, {768, 40960}, {1024, 1024}}) {
                long want = 0;
                for (long o = range[0]; o < range[1]; o += 8) want += s.get(dev.gem.tensor.LE.LONG, o);
                assertEquals(want, k.streamSum(s, range[0], range[1]), k.name() + " " + range[0] + ".." + range[1]);
            }
        }
    }
}
