package dev.gem.bench;

import dev.gem.kernels.Backend;
import dev.gem.kernels.Kernels;
import dev.gem.kernels.ScalarKernels;
import dev.gem.kernels.ThreadPool;
import dev.gem.tensor.DType;
import dev.gem.tensor.Tensor;
import org.openjdk.jmh.annotations.*;

import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;

/**
 * Matrix-matrix products (prompt batches of {@code tokens} tokens), per weight type and 1B-model shape. Reports
 * {@code gflop}: 2·in·out·tokens floating-point (or integer) operations per call, as a rate in GFLOP/s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class MatmulBench {
    @Param({"Q4_0", "Q8_0", "F16", "BF16", "F32", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"})
    public String type;
    @Param({"2048x2048", "2048x512", "2048x8192", "8192x2048"})
    public String shape;
    @Param({"true", "false"})
    public boolean repack;
    @Param({"128"})
    public int tokens;
    @Param({"2"})
    public int threads;

    Kernels kernels;
    ThreadPool pool;
    Arena arena;
    Tensor w;
    float[] x, out;
    double gflopPerCall;

    /** Giga-operations (2 per multiply-add), as a rate: GFLOP/s in the ·/s column. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Work {
        public double gflop;
    }

    @Setup(Level.Trial)
    public void setUp() {
        kernels = Backend.get();
        pool = new ThreadPool(threads);
        arena = Arena.ofShared();
        int[] s = BenchWeights.shape(shape);
        w = BenchWeights.matrices(DType.valueOf(type), s[0], s[1], 1, arena, 42)[0];
        if (repack) kernels.prepare(pool, w);
        x = BenchWeights.activations(s[0] * tokens, 7);
        out = new float[s[1] * tokens];
        gflopPerCall = 2.0 * s[0] * s[1] * tokens / 1e9;
    }

    @Benchmark
    public float matmul(Work work) {
        kernels.matmul(pool, w, x, tokens, out);
        work.gflop += gflopPerCall;
        return out[0];
    }

    /** The smoke run's check: every token's outputs agree with the scalar reference on the activations as used. */
    void verify() {
        kernels.matmul(pool, w, x, tokens, out);
        ScalarKernels ref = new ScalarKernels();
        int in = w.cols(), rows = w.rows();
        for (int t = 0; t < tokens; t++) {
            float[] xt = java.util.Arrays.copyOfRange(x, t * in, (t + 1) * in);
            float[] used = BenchChecks.activationsAsUsed(kernels, w, xt);
            for (int r = 0; r < rows; r++) BenchChecks.close(ref.dot(w, r, used, 0), out[t * rows + r], w, r);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }
}
