package dev.gem.kernels;

import dev.gem.kernels.simd.VectorKernels;
import dev.gem.quant.Codecs;
import dev.gem.tensor.DType;
import dev.gem.tensor.Float16;
import dev.gem.tensor.LE;
import dev.gem.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What the kernel tests share: which backend this JVM tests, error bounds for float sums, and test weights.
 *
 * <p>Surefire runs the suite once per {@code -Dgem.vectorBits} (0, 128, 256, 512), each in its own JVM, because the
 * vector species are fixed per JVM. The backend under test is whatever {@link Backend#get()} chooses there.
 */
public final class KernelTesting {
    private KernelTesting() {}

    /** Unit roundoff of float: 2^-24. */
    public static final double U = 0x1p-24;

    /** The width this JVM was asked to run ({@code -Dgem.vectorBits}), or -1 when none was forced. */
    public static int requestedBits() {
        String p = System.getProperty("gem.vectorBits");
        if (p == null || p.isBlank()) return -1;
        return Integer.parseInt(p.trim());
    }

    /** True when the requested width is one the CPU lacks: the kernel tests of this run are skipped. */
    public static boolean widthMissing() {
        int bits = requestedBits();
        return bits > 0 && Backend.vectorModulePresent() && bits > VectorKernels.maxBits();
    }

    /** The backend under test in this JVM; skips the test (an assumption, not a failure) when the CPU lacks the width. */
    public static Kernels kernels() {
        assumeTrue(!widthMissing(), () -> "this CPU has no " + requestedBits() + "-bit vectors (at most "
                + VectorKernels.maxBits() + ")");
        return Backend.get();
    }

    /** Float lanes of the backend, 0 for scalar. */
    public static int lanes(Kernels k) {
        return k.vectorBits() / 32;
    }

    /**
     * γ_k = k·u / (1 − k·u): a float sum in which every term passes through at most k roundings (products, partial
     * sums, block scales) is within γ_k · Σ|terms| of the exact sum, whatever the order (Higham, Accuracy and Stability
     * of Numerical Algorithms, §3.1 and §4.2).
     */
    public static double gamma(long k) {
        return k * U / (1 - k * U);
    }

    /**
     * The longest chain of roundings a term goes through in a dot product of n values, as the backend sums.
     * <ul>
     * <li>scalar (lanes 0): one product and up to n-1 sequential additions, plus one for a decode that rounds
     * (q·d + m);</li>
     * <li>vector: each lane accumulates at most ceil(n/L) fused products (per-block partial sums of quant types
     * restart every group but then join the accumulator, 2 roundings per group for scale and min), the reduction across L
     * lanes is sequential in the worst case (its order is unspecified), and a tail of fewer than L elements is added
     * sequentially; the slack of 4 covers combining accumulators and decode rounding.</li>
     * </ul>
     */
    public static long depth(int n, int lanes, boolean blocked) {
        if (lanes == 0) return n + 2;
        long chain = (n + lanes - 1) / lanes + 2L * lanes + 4;
        // Per 32 values at most two groups join the accumulator, each with a scale and a min term.
        if (blocked) chain += 4L * ((n + 31) / 32);
        return chain;
    }

    /** The bound of {@link #gamma}, plus the rounding of the double reference itself (n·2^-53 relative). */
    public static double sumBound(int n, int lanes, boolean blocked, double sumAbs) {
        return gamma(depth(n, lanes, blocked)) * sumAbs + n * 0x1p-53 * sumAbs + Double.MIN_VALUE;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Test weights

    /** How weight bytes are made. */
    public enum Fill {
        /** Gaussian rows of varying scale, encoded by the quant module's reference quantizer. */
        QUANTIZED,
        /** Random bytes: every quant pattern (including ones the quantizer never makes), random finite scales. */
        RAW,
        /**
         * Random quants with power-of-two scales and small integer offsets, for integer activations: every partial sum
         * is exact in float whatever the order, so the backend must match the reference bit for bit.
         */
        EXACT
    }

    /** The weight types with a vector kernel; the basis of the differential tests. */
    public static final DType[] VECTOR_TYPES = {
            DType.F32, DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0, DType.Q4_1, DType.Q5_0, DType.Q5_1,
            DType.Q2_K, DType.Q3_K, DType.Q4_K, DType.Q5_K, DType.Q6_K, DType.IQ4_NL, DType.IQ4_XS};

    /** Byte offsets of the fp16 scales in a block (d first; then m or dmin), from ggml-common.h. */
    private static final Map<DType, int[]> HALVES = new EnumMap<>(Map.ofEntries(
            Map.entry(DType.Q8_0, new int[] {0}), Map.entry(DType.Q4_0, new int[] {0}),
            Map.entry(DType.Q4_1, new int[] {0, 2}), Map.entry(DType.Q5_0, new int[] {0}),
            Map.entry(DType.Q5_1, new int[] {0, 2}), Map.entry(DType.Q2_K, new int[] {80, 82}),
            Map.entry(DType.Q3_K, new int[] {108}), Map.entry(DType.Q4_K, new int[] {0, 2}),
            Map.entry(DType.Q5_K, new int[] {0, 2}), Map.entry(DType.Q6_K, new int[] {208}),
            Map.entry(DType.IQ4_NL, new int[] {0}), Map.entry(DType.IQ4_XS, new int[] {0})));

    /**
     * The quant bytes [from, to) of each block of the affine formats (value = d·q + m or dl·q - ml). Zeroing them
     * leaves every value equal to its offset m or -ml.
     */
    private static final Map<DType, int[]> QUANT_BYTES = new EnumMap<>(Map.of(
            DType.Q4_1, new int[] {4, 20}, DType.Q5_1, new int[] {4, 24}, DType.Q2_K, new int[] {16, 80},
            DType.Q4_K, new int[] {16, 144}, DType.Q5_K, new int[] {16, 176}));

    /** The fp16 scale fields of a block of {@code t}, or null when the tests do not know its layout. */
    public static int[] halfOffsets(DType t) {
        return HALVES.get(t);
    }

    /**
     * A tensor of {@code rows} rows of {@code cols} values of type {@code t}, at byte offset 1 of a native segment
     * (model files do not align rows) or in a heap segment.
     */
    public static Tensor weights(DType t, int rows, int cols, Fill fill, Random r, Arena arena, boolean heap) {
        long bytes = t.bytesFor((long) rows * cols);
        MemorySegment seg = heap ? MemorySegment.ofArray(new byte[(int) bytes])
                : arena.allocate(bytes + 1).asSlice(1, bytes);
        long rowBytes = t.bytesFor(cols);
        for (int row = 0; row < rows; row++) {
            // Rows of very different magnitude, as in real weight matrices.
            float scale = (float) Math.pow(10, r.nextDouble() * 6 - 3);
            fillRow(t, seg, row * rowBytes, cols, fill, scale, r);
        }
        return new Tensor("w", t, new long[] {cols, rows}, seg);
    }

    private static void fillRow(DType t, MemorySegment s, long off, int cols, Fill fill, float scale, Random r) {
        boolean floats = t == DType.F32 || t == DType.F16 || t == DType.BF16;
        if (floats) {
            for (int i = 0; i < cols; i++) {
                float v = fill == Fill.EXACT ? (r.nextInt(33) - 16) * powerOfTwo(r) : (float) r.nextGaussian() * scale;
                switch (t) {
                    case F32 -> s.set(LE.FLOAT, off + 4L * i, v);
                    case F16 -> s.set(LE.SHORT, off + 2L * i, Float16.floatToHalf(v));
                    case BF16 -> s.set(LE.SHORT, off + 2L * i, Float16.floatToBf16(v));
                    default -> throw new AssertionError(t);
                }
            }
            return;
        }
        if (fill == Fill.QUANTIZED && t.isQuantized()) {
            float[] v = new float[cols];
            for (int i = 0; i < cols; i++) v[i] = (float) r.nextGaussian() * scale;
            Codecs.of(t).quantize(v, 0, s, off, cols);
            return;
        }
        long bytes = t.bytesFor(cols);
        for (long i = 0; i < bytes; i++) s.set(LE.BYTE, off + i, (byte) r.nextInt());
        int[] halves = HALVES.get(t);
        if (halves == null) return; // other formats: random bytes only (delegation tests)
        for (long b = off; b < off + bytes; b += t.blockBytes) {
            float d = 0;
            for (int h = 0; h < halves.length; h++) {
                float v;
                if (fill == Fill.EXACT) {
                    // Legacy formats: d = 2^k, m an integer multiple of d. Super-block formats multiply d by 6-bit
                    // or 8-bit group scales, so their scales stay at 2^-2 to keep sums small enough to be exact.
                    if (isLegacyQuant(t)) v = h == 0 ? powerOfTwo(r) : (r.nextInt(33) - 16) * d;
                    else v = 0.25f;
                } else {
                    v = randomScale(h == 1 && isLegacyQuant(t) ? scale * 16 : scale, r);
                }
                if (h == 0) d = v;
                s.set(LE.SHORT, b + halves[h], Float16.floatToHalf(v));
            }
        }
    }

    private static boolean isLegacyQuant(DType t) {
        return t == DType.Q8_0 || t == DType.Q4_0 || t == DType.Q4_1 || t == DType.Q5_0 || t == DType.Q5_1;
    }

    /** 2^k for k in [-2, 1]: the scales of EXACT weights. */
    private static float powerOfTwo(Random r) {
        return Math.scalb(1f, r.nextInt(4) - 2);
    }

    /** A signed scale around {@code scale}/16 spread over two decades, kept a finite, normal fp16. */
    private static float randomScale(float scale, Random r) {
        float v = (float) (scale / 16 * Math.pow(10, r.nextDouble() * 2 - 1));
        v = Math.min(Math.max(v, 1e-4f), 60000f);
        return r.nextBoolean() ? v : -v;
    }

    /** Activations: Gaussian with a per-vector scale, or small integers (-2..2) for EXACT weights. */
    public static float[] activations(int n, int pad, Fill fill, Random r) {
        float[] x = new float[n + pad];
        float scale = (float) Math.pow(10, r.nextDouble() * 4 - 2);
        for (int i = 0; i < x.length; i++)
            x[i] = fill == Fill.EXACT ? r.nextInt(5) - 2 : (float) r.nextGaussian() * scale;
        return x;
    }

    /** Row {@code row} of {@code w} decoded by the quant module's scalar codec: the reference weights. */
    public static float[] referenceRow(Tensor w, long row) {
        float[] out = new float[w.cols()];
        Codecs.of(w.type()).dequantize(w.data(), row * w.rowBytes(), out, 0, w.cols());
        return out;
    }

    /**
     * The offset of each value of a row: m (Q4_1, Q5_1) or -dmin·min (Q2_K, Q4_K, Q5_K), zero for the other types.
     * Kernels sum these times Σx separately from the q·x terms, so they count in the magnitude that bounds the error.
     * Found with the codec itself: the row decoded with every quant zeroed.
     */
    public static float[] offsets(Tensor w, long row) {
        int n = w.cols();
        float[] out = new float[n];
        int[] quants = QUANT_BYTES.get(w.type());
        if (quants == null) return out;
        int blockBytes = w.type().blockBytes;
        byte[] copy = new byte[(int) w.rowBytes()];
        MemorySegment.copy(w.data(), LE.BYTE, row * w.rowBytes(), copy, 0, copy.length);
        for (int b = 0; b < copy.length; b += blockBytes) Arrays.fill(copy, b + quants[0], b + quants[1], (byte) 0);
        Codecs.of(w.type()).dequantize(MemorySegment.ofArray(copy), 0, out, 0, n);
        return out;
    }
}
