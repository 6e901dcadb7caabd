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
 * Matrix-vector products (decoding), per weight type and 1B-model shape. Reports {@code gb}: gigabytes of weights
 * read per second ({@code ·/s} in JMH's table). With {@code footprint=dram} the benchmark cycles through copies of the
 * matrix totalling 1 GiB, so every product streams its weights from memory as decoding does; {@code hot} repeats one
 * matrix (cache-resident for the smaller shapes: the kernel's compute rate). {@code repack=false} is the zero-copy
 * path (float kernels on the mapped layout), {@code true} lets the backend repack (integer kernels for Q4_0/Q8_0).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class MatvecBench {
    @Param({"Q4_0", "Q8_0", "F16", "BF16", "F32", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"})
    public String type;
    @Param({"2048x2048", "2048x512", "2048x8192", "8192x2048", "2048x128256"})
    public String shape;
    @Param({"true", "false"})
    public boolean repack;
    @Param({"dram", "hot"})
    public String footprint;
    @Param({"2"})
    public int threads;

    Kernels kernels;
    ThreadPool pool;
    Arena arena;
    Tensor[] ws;
    float[] x, out;
    int next;
    long bytesPerCall;

        @Setup(Level.Trial)
    public void setUp() {
        kernels = Backend.get();
        pool = new ThreadPool(threads);
        arena = Arena.ofShared();
        DType t = DType.valueOf(type);
        int[] s = BenchWeights.shape(shape);
        int copies = footprint.equals("dram") ? BenchWeights.copiesFor(t, s[0], s[1], 1L << 30) : 1;
        ws = BenchWeights.matrices(t, s[0], s[1], copies, arena, 42);
        if (repack) for (Tensor w : ws) kernels.prepare(pool, w);
        x = BenchWeights.activations(s[0], 7);
        out = new float[s[1]];
        bytesPerCall = ws[0].byteSize();
    }

    @Benchmark
    public float matvec(Traffic traffic) {
        Tensor w = ws[next];
        next = next + 1 == ws.length ? 0 : next + 1;
        kernels.matvec(pool, w, x, 0, out, 0);
        traffic.gb += bytesPerCall / 1e9;
        return out[0];
    }

    /** The smoke run's check: the last product agrees with the scalar reference on its activations. */
    void verify() {
        Tensor w = ws[0];
        kernels.matvec(pool, w, x, 0, out, 0);
        ScalarKernels ref = new ScalarKernels();
        float[] used = BenchChecks.activationsAsUsed(kernels, w, x);
        for (int r = 0; r < w.rows(); r++) BenchChecks.close(ref.dot(w, r, used, 0), out[r], w, r);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }
}
