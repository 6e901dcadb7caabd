package dev.gem.bench;

import dev.gem.kernels.Kernels;
import dev.gem.tensor.DType;
import dev.gem.tensor.Float16;
import dev.gem.tensor.Tensor;

/** The correctness checks of the smoke run: benchmark results against the scalar reference. */
final class BenchChecks {
    private BenchChecks() {}

    /** The activations as the backend multiplies them with w: unchanged, or rounded to Q8_0 as ggml's x86 code does. */
    static float[] activationsAsUsed(Kernels k, Tensor w, float[] x) {
        if (k.matvecActivations(w) == DType.F32) return x.clone();
        float[] r = new float[x.length];
        for (int b = 0; b < x.length; b += 32) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b + j]));
            float id = amax != 0 ? 127f / amax : 0f;
            float d = Float16.halfToFloat(Float16.floatToHalf(amax / 127f));
            for (int j = 0; j < 32; j++) r[b + j] = (float) Math.rint(x[b + j] * id) * d;
        }
        return r;
    }

    /** A loose check (the kernel tests do the exact ones): the reference and the benchmark agree to 1e-3 relative. */
    static void close(float want, float got, Tensor w, int row) {
        if (!(Math.abs(want - got) <= 1e-3 * Math.max(1, Math.abs(want))))
            throw new AssertionError(w.type() + " row " + row + ": benchmark " + got + ", reference " + want);
    }
}
