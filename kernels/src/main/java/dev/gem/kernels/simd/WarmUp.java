package dev.gem.kernels.simd;

import dev.gem.kernels.ThreadPool;
import dev.gem.tensor.DType;
import dev.gem.tensor.LE;
import dev.gem.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Gets C2 to compile the matrix kernels of a weight type before a model's first forward pass needs them. Until C2 has
 * compiled it, Vector API code runs as objects (every vector op an allocation), and on full-size matrices that cost
 * llama-1b Q4_0 1.7-2.0 s for its first two-token prompt against 0.4 s once compiled. A small matrix reaches the
 * compile thresholds with a fraction of that work.
 */
final class WarmUp {
    private static final Set<DType> DONE = ConcurrentHashMap.newKeySet();
    private static final int ROWS = 16, COLS = 2048;
    /** Enough calls for C2 to compile the one-token and the batched paths (measured with -XX:+PrintCompilation). */
    private static final int MATVECS = 600, MATMULS = 150, TOKENS = 8;

    private WarmUp() {}

    /** Once per type per JVM; on the calling thread, which it keeps busy for about a second. */
    static void run(VectorKernels k, DType type) {
        if (!DONE.add(type)) return;
        Tensor w = new Tensor("warm-up " + type, type, new long[] {COLS, ROWS}, randomWeights(type));
        Random random = new Random(1);
        float[] x = new float[COLS * TOKENS], out = new float[ROWS * TOKENS];
        for (int i = 0; i < x.length; i++) x[i] = random.nextFloat() - 0.5f;
        try (ThreadPool one = new ThreadPool(1)) {
            k.prepare(one, w);
            for (int i = 0; i < MATVECS; i++) k.matvec(one, w, x, 0, out, 0);
            for (int i = 0; i < MATMULS; i++) k.matmul(one, w, x, TOKENS, out);
        }
    }

    /** Random bytes, with finite fp16 scales where the repacker checks them (so the integer kernels take it). */
    private static MemorySegment randomWeights(DType type) {
        long blocks = (long) ROWS * COLS / type.blockSize;
        MemorySegment s = Arena.ofAuto().allocate(blocks * type.blockBytes, 64);
        Random random = new Random(type.ordinal());
        for (long i = 0; i < s.byteSize(); i++) s.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
        if (Layout.of(type) != null)
            for (long b = 0; b < blocks; b++)
                for (int at : Int8Matrix.scaleOffsets(type)) s.set(LE.SHORT, b * type.blockBytes + at, (short) 0x2000);
        return s;
    }
}
