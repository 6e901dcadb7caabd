package dev.gem.kernels;

import dev.gem.kernels.KernelTesting.Fill;
import dev.gem.tensor.DType;
import dev.gem.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.Random;

import static dev.gem.kernels.KernelTesting.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The other tests mostly run the kernels interpreted or C1-compiled, where the Vector API executes its Java fallback.
 * Here every kernel is called tens of thousands of times, long enough for C2 to compile it with intrinsics, and every
 * call is checked on data whose result is exact in float: the machine code must agree with the reference too.
 */
class CompiledKernelsTest {
    private static final int CALLS = 30_000;

    @Test
    void weightKernelsStayExactOnceCompiled() {
        Kernels k = kernels();
        Random r = new Random(42);
        int rows = 8, cols = 256;
        try (Arena arena = Arena.ofConfined()) {
            Tensor[] ws = new Tensor[VECTOR_TYPES.length];
            float[][] expected = new float[ws.length][rows];
            float[][][] decoded = new float[ws.length][rows][];
            float[] x = activations(cols, 1, Fill.EXACT, r);
            for (int t = 0; t < ws.length; t++) {
                ws[t] = weights(VECTOR_TYPES[t], rows, cols, Fill.EXACT, r, arena, false);
                for (int row = 0; row < rows; row++) {
                    float[] ref = referenceRow(ws[t], row);
                    decoded[t][row] = ref;
                    double exact = 0;
                    for (int i = 0; i < cols; i++) exact += (double) ref[i] * x[1 + i];
                    expected[t][row] = (float) exact;
                }
            }
            float[] out = new float[cols];
            for (int call = 0; call < CALLS; call++) {
                int t = call % ws.length, row = (call / ws.length) % rows;
                float got = k.dot(ws[t], row, x, 1);
                if (got != expected[t][row])
                    assertEquals(expected[t][row], got, k.name() + " " + VECTOR_TYPES[t] + " dot at call " + call);
                if (call % 4 == 0) {
                    k.row(ws[t], row, out, 0);
                    for (int i = 0; i < cols; i++)
                        if (Float.floatToIntBits(out[i]) != Float.floatToIntBits(decoded[t][row][i]))
                            assertEquals(decoded[t][row][i], out[i], k.name() + " " + VECTOR_TYPES[t] + " row at call " + call);
                }
            }
        }
    }

    @Test
    void floatKernelsStayExactOnceCompiled() {
        Kernels k = kernels();
        Random r = new Random(43);
        int n = 77; // vector body plus a tail at every width
        float[] a = new float[n], b = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextInt(21) - 10;
            b[i] = r.nextInt(21) - 10;
        }
        long exactDot = 0;
        for (int i = 0; i < n; i++) exactDot += (long) a[i] * (long) b[i];
        float[] y = new float[n], sum = new float[n];
        for (int call = 0; call < CALLS; call++) {
            float got = k.dot(a, 0, b, 0, n);
            if (got != exactDot) assertEquals((float) exactDot, got, k.name() + " dot at call " + call);
            // Integer axpy and add stay exact: y grows by 3a + b per call, far below 2^24 after CALLS calls.
            k.axpy(3f, a, 0, y, 0, n);
            k.add(y, 0, b, 0, n);
        }
        for (int i = 0; i < n; i++) sum[i] = (float) ((3L * (long) a[i] + (long) b[i]) * CALLS);
        for (int i = 0; i < n; i++) assertEquals(sum[i], y[i], k.name() + " axpy/add element " + i);

        // softmax of equal values is exactly uniform in any order when n is a power of two; rmsnorm of ±c is ±1.
        float[] s = new float[64], v = new float[64];
        for (int call = 0; call < CALLS / 10; call++) {
            java.util.Arrays.fill(s, 2.5f);
            k.softmax(s, 0, 64);
            for (float p : s) if (p != 1f / 64) assertEquals(1f / 64, p, k.name() + " softmax at call " + call);
            for (int i = 0; i < 64; i++) v[i] = (i & 1) == 0 ? 4f : -4f;
            k.rmsnorm(v, 0, v, 0, null, 64, 0f);
            for (int i = 0; i < 64; i++)
                if (v[i] != ((i & 1) == 0 ? 1f : -1f)) assertEquals((i & 1) == 0 ? 1f : -1f, v[i], k.name() + " rmsnorm");
        }
    }
}
