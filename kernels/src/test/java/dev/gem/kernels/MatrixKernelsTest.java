package dev.gem.kernels;

import dev.gem.kernels.KernelTesting.Fill;
import dev.gem.kernels.simd.VectorKernels;
import dev.gem.tensor.DType;
import dev.gem.tensor.Float16;
import dev.gem.tensor.LE;
import dev.gem.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static dev.gem.kernels.KernelTesting.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Matrix products ({@code matvec}, {@code matmul}) of the backend under test, with and without {@link Kernels#prepare}
 * (repacking), for every type with a vector kernel: against an exact reference (within the float summation bound, on
 * the activations rounded as {@link Kernels#matvecActivations} says), bit for bit on exactly representable data, and
 * bit for bit between a token's matvec and the same token inside any batch.
 */
class MatrixKernelsTest {
    private static ThreadPool pool;

    @BeforeAll
    static void startPool() {
        pool = new ThreadPool(3);
    }

    @AfterAll
    static void stopPool() {
        pool.close();
    }

    /** Column counts: whole groups of blocks at every width (8, 16 or 32 blocks), partial groups, single blocks. */
    private static final int[] QUANT_COLS = {32, 96, 256, 288, 1024, 1056, 2048, 4128};
    private static final int[] SUPER_BLOCK_COLS = {256, 768, 1536, 2048}; // 768, 1536: paired layouts pad less
    private static final int[] FLOAT_COLS = {1, 17, 64, 100, 1000, 2048};

    static Stream<Arguments> typesAndSizes() {
        List<Arguments> out = new ArrayList<>();
        for (DType t : VECTOR_TYPES)
            for (int cols : t.blockSize == 256 ? SUPER_BLOCK_COLS : t.isQuantized() ? QUANT_COLS : FLOAT_COLS)
                for (boolean prepare : new boolean[] {false, true}) out.add(Arguments.of(t, cols, prepare));
        return out.stream();
    }

    /**
     * The activations as the backend uses them for {@code w}: unchanged, or rounded to Q8_0 as ggml's x86
     * quantize_row_q8_0 does (d = amax/127 stored as fp16, quants round(x·(127/amax)) to nearest even).
     */
    static float[] asUsed(Kernels k, Tensor w, float[] x, int off, int n) {
        float[] r = new float[n];
        DType format = k.matvecActivations(w);
        if (format == DType.F32) {
            System.arraycopy(x, off, r, 0, n);
            return r;
        }
        assertEquals(DType.Q8_0, format, "activation formats the tests know");
        assertEquals(0, n % 32);
        for (int b = 0; b < n; b += 32) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[off + b + j]));
            float id = amax != 0 ? 127f / amax : 0f;
            float d = Float16.halfToFloat(Float16.floatToHalf(amax / 127f));
            for (int j = 0; j < 32; j++) r[b + j] = (float) Math.rint(x[off + b + j] * id) * d;
        }
        return r;
    }

    /**
     * Whether the vector backend should repack {@code w}: a type with a repacked form (Q4_0, Q8_0, Q4_1, Q5_0, Q5_1, IQ4_NL,
     * Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS) and rows of at least half a group of blocks (rows are padded to whole groups).
     */
    static boolean repackable(Kernels k, Tensor w) {
        if (!(k instanceof VectorKernels)) return false;
        int groupBlocks = k.vectorBits() / 16, blocks = w.cols() / 32;
        if (blocks < groupBlocks / 2) return false;
        return switch (w.type()) {
            case Q4_0, Q8_0, Q5_0, IQ4_NL, Q4_K, Q6_K, Q4_1, Q5_1, Q5_K, IQ4_XS, Q3_K, Q2_K -> true;
            default -> false;
        };
    }

    @ParameterizedTest(name = "{0} x {1}, prepared {2}")
    @MethodSource("typesAndSizes")
    void matvecIsWithinSummationBound(DType t, int cols, boolean prepare) {
        Kernels k = kernels();
        Random r = new Random(cols * 131L + t.ordinal() * 7L + (prepare ? 1 : 0));
        try (Arena arena = Arena.ofShared()) {
            int rows = 37;
            Tensor w = weights(t, rows, cols, Fill.QUANTIZED, r, arena, false);
            if (prepare) assertEquals(repackable(k, w), k.prepare(pool, w), k.name() + " prepare " + t + " x " + cols);
            int xOff = 5;
            float[] x = activations(cols, xOff, Fill.QUANTIZED, r);
            float[] out = new float[rows + 2];
            k.matvec(pool, w, x, xOff, out, 2);
            float[] used = asUsed(k, w, x, xOff, cols);
            for (int row = 0; row < rows; row++) {
                float[] ref = referenceRow(w, row), offset = offsets(w, row);
                double exact = 0, sumAbs = 0;
                for (int i = 0; i < cols; i++) {
                    exact += (double) ref[i] * used[i];
                    sumAbs += Math.abs((double) ref[i] * used[i]) + 2 * Math.abs((double) offset[i] * used[i]);
                }
                double bound = sumBound(cols, lanes(k), t.isQuantized(), sumAbs), want = exact;
                float got = out[2 + row];
                int rr = row;
                assertTrue(Math.abs(got - exact) <= bound, () -> k.name() + " " + t + " x " + cols + " prepared " + prepare
                        + " row " + rr + ": got " + got + ", exact " + want + ", bound " + bound);
            }
        }
    }

    static Stream<Arguments> exactSizes() {
        List<Arguments> out = new ArrayList<>();
        for (DType t : VECTOR_TYPES)
            for (int cols : t.blockSize == 256 ? new int[] {256, 512} : t.isQuantized() ? new int[] {32, 288, 1056, 2048} : new int[] {17, 64, 1000})
                for (boolean prepare : new boolean[] {false, true}) out.add(Arguments.of(t, cols, prepare));
        return out.stream();
    }

    /**
     * Power-of-two scales, integer quants, and activations whose Q8_0 rounding is exact (each block's largest magnitude
     * is 127·u and the others multiples of u, u = 1/8 or 1/16): every product is a multiple of 2^-6 and every partial sum, whatever the
     * order, stays below 2^18, so exact in float. matvec and matmul must then equal the exact result bit for bit,
     * integer kernels included.
     */
    @ParameterizedTest(name = "{0} x {1}, prepared {2}")
    @MethodSource("exactSizes")
    void productsAreExactOnExactlyRepresentableData(DType t, int cols, boolean prepare) {
        Kernels k = kernels();
        Random r = new Random(cols * 17L + t.ordinal());
        try (Arena arena = Arena.ofShared()) {
            int rows = 9, n = 6;
            Tensor w = weights(t, rows, cols, Fill.EXACT, r, arena, false);
            if (prepare) k.prepare(pool, w);
            float[] x = exactActivations(r, n, cols);
            float[] out = new float[rows * n];
            k.matmul(pool, w, x, n, out);
            float[] one = new float[rows];
            for (int tok = 0; tok < n; tok++) {
                k.matvec(pool, w, x, tok * cols, one, 0);
                for (int row = 0; row < rows; row++) {
                    float[] ref = referenceRow(w, row);
                    double exact = 0, sumAbs = 0;
                    for (int i = 0; i < cols; i++) {
                        exact += (double) ref[i] * x[tok * cols + i];
                        sumAbs += Math.abs((double) ref[i] * x[tok * cols + i]);
                    }
                    assertTrue(sumAbs < 0x1p18, "test data too large to be exact: " + sumAbs);
                    String what = k.name() + " " + t + " x " + cols + " prepared " + prepare + " token " + tok + " row " + row;
                    assertEquals((float) exact, one[row], what + " (matvec)");
                    assertEquals((float) exact, out[tok * rows + row], what + " (matmul)");
                }
            }
        }
    }

    /**
     * n tokens of activations, each block of 32 with one value of ±127·u and the rest in {-u, 0, u}, u = 1/8 or 1/16
     * per block: the Q8_0 rounding (d = u) is exact, blocks differ in scale, and sums with EXACT weights stay small.
     */
    private static float[] exactActivations(Random r, int n, int cols) {
        float[] x = new float[n * cols];
        for (int t = 0; t < n; t++)
            for (int b = 0; b < cols; b += 32) {
                int len = Math.min(32, cols - b), o = t * cols + b;
                float u = r.nextBoolean() ? 1 / 8f : 1 / 16f;
                for (int j = 0; j < len; j++) x[o + j] = (r.nextInt(3) - 1) * u;
                x[o + r.nextInt(len)] = (r.nextBoolean() ? 127 : -127) * u;
            }
        return x;
    }

    private static final int[] BATCHES = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 31, 32, 33, 64, 65, 70};

    static Stream<Arguments> batches() {
        List<Arguments> out = new ArrayList<>();
        for (DType t : VECTOR_TYPES)
            for (boolean prepare : new boolean[] {false, true}) out.add(Arguments.of(t, prepare));
        return out.stream();
    }

    /**
     * The batch-invariance contract: a token's outputs from matmul, in batches of every size from 1 to 13 and of prompt
     * sizes around the batched kernels' tiles (16 to 64 tokens at 128 to 512 bits), are the outputs of matvec on that
     * token alone, bit for bit (self-speculative decoding verifies drafts in batches and promises the output of
     * token-by-token decoding).
     */
    @ParameterizedTest(name = "{0}, prepared {1}")
    @MethodSource("batches")
    void matmulRowsAreMatvecBitForBit(DType t, boolean prepare) {
        // rows of whole groups, and rows that take the paired layouts at some width (33 blocks at every width, 48 at 512)
        for (int cols : t.blockSize == 256 ? new int[] {1024, 1536} : t.isQuantized() ? new int[] {1024, 1056} : new int[] {300})
            matmulRowsAreMatvecBitForBit(t, prepare, cols);
    }

    private void matmulRowsAreMatvecBitForBit(DType t, boolean prepare, int cols) {
        Kernels k = kernels();
        Random r = new Random(99 + t.ordinal());
        int rows = 21;
        try (Arena arena = Arena.ofShared()) {
            Tensor w = weights(t, rows, cols, Fill.QUANTIZED, r, arena, false);
            if (prepare) k.prepare(pool, w);
            int most = BATCHES[BATCHES.length - 1];
            float[] x = activations(most * cols, 0, Fill.QUANTIZED, r);
            float[][] single = new float[most][rows];
            for (int tok = 0; tok < most; tok++) k.matvec(pool, w, x, tok * cols, single[tok], 0);
            for (int n : BATCHES) {
                float[] out = new float[n * rows];
                k.matmul(pool, w, x, n, out);
                for (int tok = 0; tok < n; tok++)
                    for (int row = 0; row < rows; row++)
                        assertEquals(Float.floatToIntBits(single[tok][row]), Float.floatToIntBits(out[tok * rows + row]),
                                k.name() + " " + t + " x " + cols + " prepared " + prepare + " batch " + n + " token " + tok + " row " + row);
            }
        }
    }

    /** prepare() repacks exactly the matrices the integer kernels take, and says so; the tensor itself is untouched. */
    @Test
    void prepareIsHonest() {
        Kernels k = kernels();
        Random r = new Random(5);
        try (Arena arena = Arena.ofShared()) {
            for (DType t : VECTOR_TYPES) {
                for (int cols : new int[] {256, 1024, 2048}) {
                    if (!t.fitsBlocks(cols)) continue;
                    Tensor w = weights(t, 4, cols, Fill.QUANTIZED, r, arena, false);
                    byte[] before = w.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                    boolean expected = repackable(k, w);
                    assertEquals(expected, k.prepare(pool, w), k.name() + " " + t + " x " + cols);
                    assertEquals(expected ? DType.Q8_0 : DType.F32, k.matvecActivations(w), k.name() + " " + t);
                    assertArrayEquals(before, w.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), "prepare changed the tensor");
                    float[] row = new float[cols];
                    k.row(w, 1, row, 0);
                    assertArrayEquals(referenceRow(w, 1), row, "row() after prepare");
                }
            }
        }
    }

    /**
     * Rows that end in the first half of a group are padded only to the half (the paired layouts): a 1536-column Q4_0
     * or Q8_0 copy (48 blocks; 64 in whole groups at 512 bits) has exactly the file's size at every width, a Q4_K
     * copy its 24 bytes per block, a Q6_K copy its 40.
     */
    @Test
    void rowsEndingInAHalfGroupAreNotPaddedToAWholeOne() {
        Kernels k = kernels();
        if (!(k instanceof VectorKernels)) return; // the scalar backend keeps no copies
        Random r = new Random(6);
        int rows = 3, cols = 1536, blocks = rows * cols / 32;
        try (Arena arena = Arena.ofShared()) {
            for (DType t : new DType[] {DType.Q4_0, DType.Q8_0, DType.Q4_K, DType.Q6_K}) {
                Tensor w = weights(t, rows, cols, Fill.QUANTIZED, r, arena, false);
                long[] asked = new long[1];
                assertTrue(k.prepare(pool, w, bytes -> {
                    asked[0] += bytes;
                    return arena.allocate(bytes, 64);
                }), k.name() + " " + t);
                long want = switch (t) {
                    case Q4_0 -> w.byteSize();
                    case Q8_0 -> w.byteSize();
                    case Q4_K -> 24L * blocks;
                    default -> 40L * blocks;
                };
                assertEquals(want, asked[0], k.name() + " " + t + " x " + cols + ": bytes of the copy");
            }
        }
    }

    /**
     * Blocks with scale ±0 or a subnormal scale are repacked like any other; a matrix with an infinite or NaN scale is
     * left to the float kernel (the integer kernels convert scales without that special case). Results are right
     * either way.
     */
    @Test
    void repackingHandlesZeroScalesAndDeclinesSpecialOnes() {
        Kernels k = kernels();
        Random r = new Random(8);
        int cols = 2048, rows = 6;
        for (DType t : new DType[] {DType.Q4_0, DType.Q8_0, DType.Q4_K, DType.Q5_K, DType.Q6_K, DType.Q4_1, DType.Q5_0, DType.IQ4_NL, DType.IQ4_XS, DType.Q3_K, DType.Q5_1, DType.Q2_K}) {
            for (short special : new short[] {0, (short) 0x8000, 0x0001, 0x7c00, (short) 0xfe00}) {
                try (Arena arena = Arena.ofShared()) {
                    Tensor w = weights(t, rows, cols, Fill.QUANTIZED, r, arena, false);
                    // every scale the file has: Q4_K's d (at 0) and dmin (at 2) take turns; Q6_K's d is at 208
                    int[] at = t == DType.Q4_K || t == DType.Q5_K || t == DType.Q4_1 || t == DType.Q5_1 ? new int[] {0, 2} : t == DType.Q6_K ? new int[] {208} : t == DType.Q3_K ? new int[] {108} : t == DType.Q2_K ? new int[] {80, 82} : new int[] {0};
                    for (int b = 3; b < rows * cols / t.blockSize; b += t.blockSize == 256 ? 5 : 29)
                        w.data().set(LE.SHORT, (long) b * t.blockBytes + at[b % at.length], special);
                    boolean finite = (special & 0x7c00) != 0x7c00;
                    assertEquals(repackable(k, w) && finite, k.prepare(pool, w),
                            k.name() + " " + t + " scale 0x" + Integer.toHexString(special & 0xffff));
                    float[] x = activations(cols, 0, Fill.QUANTIZED, r);
                    float[] out = new float[rows];
                    k.matvec(pool, w, x, 0, out, 0);
                    float[] used = asUsed(k, w, x, 0, cols);
                    for (int row = 0; row < rows; row++) {
                        float[] ref = referenceRow(w, row);
                        double exact = 0, sumAbs = 0;
                        for (int i = 0; i < cols; i++) {
                            exact += (double) ref[i] * used[i];
                            sumAbs += Math.abs((double) ref[i] * used[i]);
                        }
                        if (Double.isNaN(exact)) assertTrue(Float.isNaN(out[row]), t + " row " + row + ": NaN expected");
                        else if (Double.isInfinite(exact)) assertEquals((float) exact, out[row], t + " row " + row);
                        else assertTrue(Math.abs(out[row] - exact) <= sumBound(cols, lanes(k), true, sumAbs),
                                    t + " row " + row + ": " + out[row] + " vs " + exact);
                    }
                }
            }
        }
    }

    /** The rounded activations are reused only for the same values: new values in the same array are rounded anew. */
    @Test
    void reusedActivationArraysAreRoundedAgain() {
        Kernels k = kernels();
        Random r = new Random(12);
        int cols = 2048, rows = 5;
        try (Arena arena = Arena.ofShared()) {
            Tensor w = weights(DType.Q4_0, rows, cols, Fill.QUANTIZED, r, arena, false);
            k.prepare(pool, w);
            float[] x = activations(cols, 0, Fill.QUANTIZED, r);
            float[] first = new float[rows], second = new float[rows], fresh = new float[rows];
            k.matvec(pool, w, x, 0, first, 0);
            x[100] += 1000f;
            k.matvec(pool, w, x, 0, second, 0);
            k.matvec(pool, w, x.clone(), 0, fresh, 0);
            assertArrayEquals(fresh, second, "same values, same results");
            assertFalse(java.util.Arrays.equals(first, second), "changed activations must change the results");
        }
    }

    /**
     * Long enough for C2 to compile the matrix kernels (the first calls run interpreted, where the Vector API executes
     * its Java fallback): compiled code must give the same bits as the first calls, or a token's result would depend on
     * which path had been compiled when it was computed.
     */
    @Test
    void matrixKernelsGiveTheSameBitsOnceCompiled() {
        Kernels k = kernels();
        Random r = new Random(77);
        int cols = 1056, rows = 8, n = 5;
        try (Arena arena = Arena.ofShared()) {
            for (DType t : new DType[] {DType.Q4_0, DType.Q8_0, DType.F32, DType.Q4_K}) {
                Tensor w = weights(t, rows, t.blockSize == 256 ? 1024 : cols, Fill.QUANTIZED, r, arena, false);
                k.prepare(pool, w);
                int c = w.cols();
                float[] x = activations(n * c, 0, Fill.QUANTIZED, r);
                float[] firstMv = new float[rows], firstMm = new float[n * rows], mv = new float[rows], mm = new float[n * rows];
                k.matvec(pool, w, x, c, firstMv, 0);
                k.matmul(pool, w, x, n, firstMm);
                for (int call = 0; call < 3000; call++) {
                    k.matvec(pool, w, x, c, mv, 0);
                    k.matmul(pool, w, x, n, mm);
                    if (call % 100 == 0) {
                        for (int i = 0; i < rows; i++)
                            assertEquals(Float.floatToIntBits(firstMv[i]), Float.floatToIntBits(mv[i]), t + " matvec at call " + call);
                        for (int i = 0; i < n * rows; i++)
                            assertEquals(Float.floatToIntBits(firstMm[i]), Float.floatToIntBits(mm[i]), t + " matmul at call " + call);
                    }
                }
            }
        }
    }

    /**
     * The heads of a key/value head attended together give each head's single-head result, bit for bit: head widths
     * 64, 128, 48, 96 (whole vectors but not fours of them) and 40 (not whole vectors), positions across several
     * decode chunks (and not a multiple of one), windows that start late, soft-caps.
     */
    @Test
    void groupedHeadsGiveEachHeadsOwnBits() {
        Kernels k = kernels();
        Random r = new Random(22);
        for (int hd : new int[] {64, 128, 48, 96, 40}) {
            int kvHeads = 2, group = 4, positions = 150, stride = hd * kvHeads;
            short[] k16 = new short[positions * stride], v16 = new short[positions * stride];
            for (int i = 0; i < k16.length; i++) {
                k16[i] = Float16.floatToHalf((float) r.nextGaussian());
                v16[i] = Float16.floatToHalf((float) r.nextGaussian());
            }
            float[] q = activations(group * hd + 5, 3, Fill.QUANTIZED, r);
            for (float cap : new float[] {0f, 30f})
                for (int[] range : new int[][] {{0, positions}, {7, 130}, {0, 1}, {64, 65}}) {
                    int from = range[0], to = range[1];
                    float[] together = new float[group * hd + 2], scratch = new float[group * to];
                    k.attendHeads(group, q, 5, k16, hd, stride, v16, hd, stride, from, to, hd, hd, 0.125f, cap, scratch,
                            together, 2);
                    for (int h = 0; h < group; h++) {
                        float[] alone = new float[hd + 2], s = new float[to];
                        k.attend(q, 5 + h * hd, k16, hd, stride, v16, hd, stride, from, to, hd, hd, 0.125f, cap, s, alone, 2);
                        for (int i = 0; i < hd; i++)
                            assertEquals(Float.floatToIntBits(alone[2 + i]), Float.floatToIntBits(together[2 + h * hd + i]),
                                    k.name() + " hd " + hd + " head " + h + " [" + from + ", " + to + ") cap " + cap + " lane " + i);
                    }
                    assertEquals(0f, together[0]);
                    assertEquals(0f, together[1]);
                }
        }
    }

    /** Attention over an fp16 cache is attention over the decoded values: the same bits as the float cache version. */
    @Test
    void halfCacheAttentionMatchesDecodedValues() {
        Kernels k = kernels();
        Random r = new Random(21);
        int hd = 64, kvHeads = 2, positions = 40, stride = hd * kvHeads;
        short[] k16 = new short[positions * stride], v16 = new short[positions * stride];
        float[] k32 = new float[k16.length], v32 = new float[v16.length];
        for (int i = 0; i < k16.length; i++) {
            k16[i] = Float16.floatToHalf((float) r.nextGaussian());
            v16[i] = Float16.floatToHalf((float) r.nextGaussian());
            k32[i] = Float16.halfToFloat(k16[i]);
            v32[i] = Float16.halfToFloat(v16[i]);
        }
        float[] q = activations(hd, 3, Fill.QUANTIZED, r);
        for (float cap : new float[] {0f, 30f}) {
            for (int from : new int[] {0, 7}) {
                float[] s1 = new float[positions], s2 = new float[positions], o1 = new float[hd + 1], o2 = new float[hd + 1];
                k.attend(q, 3, k32, hd, stride, v32, hd, stride, from, positions, hd, hd, 0.125f, cap, s1, o1, 1);
                k.attend(q, 3, k16, hd, stride, v16, hd, stride, from, positions, hd, hd, 0.125f, cap, s2, o2, 1);
                for (int i = 0; i < o1.length; i++)
                    assertEquals(Float.floatToIntBits(o1[i]), Float.floatToIntBits(o2[i]), k.name() + " softcap " + cap + " output " + i);
            }
        }
    }
}
