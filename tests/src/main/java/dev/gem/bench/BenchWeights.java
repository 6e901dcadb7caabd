package dev.gem.bench;

import dev.gem.quant.Codecs;
import dev.gem.tensor.DType;
import dev.gem.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * Weight matrices for the benchmarks: Gaussian rows quantized by the reference codecs (so the scales and quants have
 * realistic distributions), at the shapes of a 1B Llama. Shapes are named {@code IN x OUT} as GGUF stores them
 * ({@code dims = [in, out]}: OUT rows of IN values).
 */
final class BenchWeights {
    private BenchWeights() {}

    /** The shapes of Llama 3.2 1B's matrices, and "smoke": a small one for the correctness run. */
    static int[] shape(String name) {
        return switch (name) {
            case "2048x2048" -> new int[] {2048, 2048};     // q, o projections
            case "2048x512" -> new int[] {2048, 512};       // k, v projections
            case "2048x8192" -> new int[] {2048, 8192};     // gate, up
            case "8192x2048" -> new int[] {8192, 2048};     // down
            case "2048x128256" -> new int[] {2048, 128256}; // output head
            case "smoke" -> new int[] {1024, 40};
            default -> throw new IllegalArgumentException("unknown shape " + name);
        };
    }

    /**
     * {@code copies} matrices of the same contents in separate memory: cycling through enough of them that their total
     * exceeds the caches makes every product stream its weights from DRAM, as decoding does.
     */
    static Tensor[] matrices(DType type, int in, int out, int copies, Arena arena, long seed) {
        long bytes = type.bytesFor((long) in * out);
        MemorySegment first = arena.allocate(bytes, 64);
        SplittableRandom r = new SplittableRandom(seed);
        float[] row = new float[in];
        long rowBytes = type.bytesFor(in);
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) row[i] = (float) (gaussian(r) * 0.02);
            Codecs.of(type).quantize(row, 0, first, o * rowBytes, in);
        }
        Tensor[] ts = new Tensor[copies];
        for (int c = 0; c < copies; c++) {
            MemorySegment s = c == 0 ? first : arena.allocate(bytes, 64).copyFrom(first);
            ts[c] = new Tensor("w" + c, type, new long[] {in, out}, s);
        }
        return ts;
    }

    /** Copies so the matrices total at least {@code minBytes} (at least one). */
    static int copiesFor(DType type, int in, int out, long minBytes) {
        long bytes = type.bytesFor((long) in * out);
        return (int) Math.max(1, (minBytes + bytes - 1) / bytes);
    }

    static float[] activations(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) gaussian(r);
        return x;
    }

    private static double gaussian(SplittableRandom r) {
        // Box-Muller; SplittableRandom has no nextGaussian before JDK 17's RandomGenerator default
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }
}
