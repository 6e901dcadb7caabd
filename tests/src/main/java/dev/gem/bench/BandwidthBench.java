package dev.gem.bench;

import dev.gem.kernels.Backend;
import dev.gem.kernels.Kernels;
import dev.gem.kernels.ThreadPool;
import org.openjdk.jmh.annotations.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * The memory-bandwidth probe: streams a {@code mib}-MiB segment (1 GiB: far beyond the caches) through
 * {@link Kernels#streamSum} (the widest vector loads, four per step, into independent sums), split across GEM's thread
 * pool in contiguous halves as matvec splits rows. Reports {@code gb}/s: what the machine can feed a kernel, the
 * yardstick for matvec's GB/s. (Plain 8-byte loads reach only about 40% of it here.)
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class BandwidthBench {
    @Param({"1", "2"})
    public int threads;
    @Param({"1024"})
    public int mib;

    Kernels kernels;
    ThreadPool pool;
    Arena arena;
    MemorySegment data;
    long[] sums;

    @Setup(Level.Trial)
    public void setUp() {
        kernels = Backend.get();
        pool = new ThreadPool(threads);
        arena = Arena.ofShared();
        data = arena.allocate((long) mib << 20, 4096);
        for (long o = 0; o < data.byteSize(); o += 8) data.set(ValueLayout.JAVA_LONG, o, o);
        sums = new long[threads * 16];
    }

    @Benchmark
    public long stream(Traffic traffic) {
        long half = data.byteSize() / threads;
        pool.forRange(threads, (t0, t1) -> {
            for (int t = t0; t < t1; t++) sums[16 * t] = kernels.streamSum(data, t * half, (t + 1) * half);
        });
        traffic.gb += data.byteSize() / 1e9;
        return sums[0];
    }

    /** The smoke run's check: the stream read every word (the sum of 0, 8, 16, ... over the segment). */
    void verify() {
        long total = 0;
        for (long o = 0; o < data.byteSize(); o += 8) total += data.get(ValueLayout.JAVA_LONG, o);
        long n = data.byteSize() / 8;
        if (total != 8 * (n * (n - 1) / 2)) throw new AssertionError("bandwidth probe data corrupted");
        stream(new Traffic());
        long streamed = 0;
        for (int t = 0; t < threads; t++) streamed += sums[16 * t];
        if (streamed != total) throw new AssertionError("streamSum read " + streamed + ", the words sum to " + total);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }
}
