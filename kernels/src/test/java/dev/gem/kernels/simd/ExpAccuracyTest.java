package dev.gem.kernels.simd;

import dev.gem.kernels.KernelTesting;
import dev.gem.kernels.Kernels;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * softmax and swiglu use GEM's own vector exp (a polynomial from exact IEEE operations, so every execution mode gives
 * the same bits; the Vector API's EXP is SVML once compiled and Math.exp before). This holds it to Math.exp's accuracy,
 * 1 ulp, on the inputs the kernels give it, including the subnormal range and the special values.
 */
class ExpAccuracyTest {

    @Test
    void vectorExpIsWithinOneUlpOfTheExactValue() {
        Kernels k = KernelTesting.kernels();
        assumeTrue(k instanceof VectorKernels, "scalar backend: exp is Math.exp");
        int n = 1 << 20;
        float[] x = new float[n];
        // A dense sweep of softmax arguments (x - max <= 0, down to where exp underflows) and swiglu's -g.
        for (int i = 0; i < n / 2; i++) x[i] = -104f * i / (n / 2);
        Random r = new Random(1);
        for (int i = n / 2; i < n; i++) x[i] = (float) (r.nextDouble() * 192 - 104);
        float[] e = x.clone();
        VectorKernels.exp(e, 0, n);
        double worst = 0;
        int worstAt = 0;
        for (int i = 0; i < n; i++) {
            double exact = Math.exp(x[i]);
            // One float ulp at the exact value (Math.ulp of the float nearest it); subnormals have ulp Float.MIN_VALUE.
            double ulps = Math.abs(e[i] - exact) / Math.ulp((float) exact);
            if (Double.isInfinite(exact) || (float) exact == Float.POSITIVE_INFINITY) {
                assertEquals(Float.POSITIVE_INFINITY, e[i], "exp(" + x[i] + ")");
                continue;
            }
            if (ulps > worst) {
                worst = ulps;
                worstAt = i;
            }
        }
        float at = x[worstAt];
        double w = worst;
        assertTrue(worst <= 1.0, () -> k.name() + ": EXP is " + w + " ulp off at " + at);
        assertEquals(0f, exp(Float.NEGATIVE_INFINITY), "exp(-inf)");
        assertEquals(1f, exp(0f), "exp(0)");
        assertEquals(Float.POSITIVE_INFINITY, exp(Float.POSITIVE_INFINITY), "exp(inf)");
        assertTrue(Float.isNaN(exp(Float.NaN)), "exp(NaN)");
    }

    /** exp of one value through the vector path (a full vector of it, so no scalar tail). */
    private static float exp(float v) {
        float[] a = new float[VectorKernels.L];
        java.util.Arrays.fill(a, v);
        VectorKernels.exp(a, 0, a.length);
        return a[0];
    }
}
