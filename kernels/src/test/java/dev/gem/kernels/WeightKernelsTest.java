package dev.gem.kernels;

import dev.gem.kernels.KernelTesting.Fill;
import dev.gem.kernels.simd.VectorKernels;
import dev.gem.quant.Codecs;
import dev.gem.tensor.DType;
import dev.gem.tensor.Float16;
import dev.gem.tensor.LE;
import dev.gem.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static dev.gem.kernels.KernelTesting.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Weight-row kernels ({@code dot(Tensor, ...)} and {@code row}) of the backend under test against the quant module's
 * scalar codecs, for every type with a vector kernel, on rows of 32 to 4128 values.
 */
class WeightKernelsTest {

    /** Row lengths: one block, a few, widths that are not a multiple of any vector for float types, and 4096+. */
    private static final int[] QUANT_COLS = {32, 64, 96, 160, 256, 1024, 4096, 4128};
    private static final int[] SUPER_BLOCK_COLS = {256, 512, 768, 2048, 4096};
    private static final int[] FLOAT_COLS = {1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 255, 256, 257,
            1000, 1024, 4095, 4096, 4099};

    static Stream<Arguments> typesAndSizes() {
        List<Arguments> out = new ArrayList<>();
        for (DType t : VECTOR_TYPES)
            for (int cols : t.blockSize == 256 ? SUPER_BLOCK_COLS : t.isQuantized() ? QUANT_COLS : FLOAT_COLS)
                out.add(Arguments.of(t, cols));
        return out.stream();
    }

    /**
     * Random weights and activations: the backend's dot must be within the float-summation bound of the exact dot of
     * the reference-decoded row (see {@link KernelTesting#depth}); the bound is relative to the sum of |terms| the
     * kernel adds, which for the "_1" formats includes the separately summed m·x terms.
     */
    @ParameterizedTest(name = "{0} x {1}")
    @MethodSource("typesAndSizes")
    void dotIsWithinSummationBound(DType t, int cols) {
        Kernels k = kernels();
        Random r = new Random(cols * 31L + t.ordinal());
        for (Fill fill : new Fill[] {Fill.QUANTIZED, Fill.RAW}) {
            if (!t.isQuantized() && fill == Fill.RAW) continue; // same as QUANTIZED for float types
            for (boolean heap : new boolean[] {false, true}) {
                try (Arena arena = Arena.ofConfined()) {
                    int rows = 3;
                    Tensor w = weights(t, rows, cols, fill, r, arena, heap);
                    int xOff = 5;
                    float[] x = activations(cols, xOff, fill, r);
                    for (int row = 0; row < rows; row++) {
                        float[] ref = referenceRow(w, row), offset = offsets(w, row);
                        double exact = 0, sumAbs = 0;
                        for (int i = 0; i < cols; i++) {
                            double term = (double) ref[i] * x[xOff + i];
                            exact += term;
                            // |q·d·x| <= |w·x| + |offset·x|, and the offset term itself: 2|offset·x| on top of |w·x|.
                            sumAbs += Math.abs(term) + 2 * Math.abs((double) offset[i] * x[xOff + i]);
                        }
                        float got = k.dot(w, row, x, xOff);
                        double bound = sumBound(cols, lanes(k), t.isQuantized(), sumAbs), ref0 = exact;
                        assertTrue(Math.abs(got - exact) <= bound,
                                () -> k.name() + " " + t + " " + fill + (heap ? " heap" : " native") + " cols " + cols
                                        + ": got " + got + ", exact " + ref0 + ", error " + Math.abs(got - ref0)
                                        + " > bound " + bound);
                    }
                }
            }
        }
    }

    /**
     * Power-of-two scales and integer activations make every partial sum exact in float, so any summation order gives
     * the same float: the backend must agree with the reference bit for bit. This catches a single misplaced element,
     * which the summation bound of a 4096-long row could hide.
     */
    @ParameterizedTest(name = "{0} x {1}")
    @MethodSource("typesAndSizes")
    void dotIsExactOnExactlyRepresentableData(DType t, int cols) {
        Kernels k = kernels();
        Random r = new Random(cols * 17L + t.ordinal());
        try (Arena arena = Arena.ofConfined()) {
            int rows = 4;
            Tensor w = weights(t, rows, cols, Fill.EXACT, r, arena, false);
            float[] x = activations(cols, 3, Fill.EXACT, r);
            for (int row = 0; row < rows; row++) {
                float[] ref = referenceRow(w, row), offset = offsets(w, row);
                double exact = 0, sumAbs = 0;
                for (int i = 0; i < cols; i++) {
                    exact += (double) ref[i] * x[3 + i];
                    sumAbs += (Math.abs(ref[i]) + 2 * Math.abs(offset[i])) * Math.abs(x[3 + i]);
                }
                // Premise: every term and partial sum is a multiple of 2^-2 below 2^22, so exact in a float.
                assertTrue(sumAbs < 0x1p22, "test data too large to be exact: " + sumAbs);
                assertEquals((float) exact, k.dot(w, row, x, 3), k.name() + " " + t + " row " + row);
            }
        }
    }

    /** Decoding a row is the same float operations as the codec: bit-exact, for any bytes (including inf/NaN scales). */
    @ParameterizedTest(name = "{0} x {1}")
    @MethodSource("typesAndSizes")
    void rowMatchesCodecBitForBit(DType t, int cols) {
        Kernels k = kernels();
        Random r = new Random(cols * 7L + t.ordinal());
        try (Arena arena = Arena.ofConfined()) {
            int rows = 3;
            Tensor w = weights(t, rows, cols, t.isQuantized() ? Fill.RAW : Fill.QUANTIZED, r, arena, false);
            if (t.isQuantized()) {
                // Arbitrary scale bits too: any fp16, including subnormals, infinities and NaNs.
                for (long b = 0; b < w.byteSize(); b += t.blockBytes)
                    for (int h : halfOffsets(t)) w.data().set(LE.SHORT, b + h, (short) r.nextInt());
            }
            for (int row = 0; row < rows; row++) {
                float[] ref = referenceRow(w, row);
                float[] got = new float[cols + 9];
                k.row(w, row, got, 9);
                for (int i = 0; i < cols; i++) {
                    int fi = i;
                    assertEquals(Float.floatToIntBits(ref[i]), Float.floatToIntBits(got[9 + i]),
                            () -> k.name() + " " + t + " element " + fi + ": " + ref[fi] + " vs " + got[9 + fi]);
                }
                for (int i = 0; i < 9; i++) assertEquals(0f, got[i], "row() wrote before its offset");
            }
        }
    }

    /** Every one of the 65536 half and bfloat16 bit patterns decodes exactly as the scalar conversions do (NaN to NaN). */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "BF16"})
    void everySixteenBitPatternDecodesExactly(DType t) {
        Kernels k = kernels();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(2 * 65536 + 1).asSlice(1, 2 * 65536);
            for (int b = 0; b < 65536; b++) s.set(LE.SHORT, 2L * b, (short) b);
            Tensor w = new Tensor("all", t, new long[] {65536}, s);
            float[] got = new float[65536];
            k.row(w, 0, got, 0);
            for (int b = 0; b < 65536; b++) {
                float want = t == DType.F16 ? Float16.halfToFloat((short) b) : Float16.bf16ToFloat((short) b);
                int fb = b;
                // NaN payloads are not compared: Float.float16ToFloat itself keeps a signalling NaN's payload when
                // interpreted but sets the quiet bit when C2 compiles it to vcvtph2ps.
                assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got[b]),
                        () -> t + " bits 0x" + Integer.toHexString(fb) + ": " + want + " vs " + got[fb]);
            }
        }
    }

    /** supports() tells the truth: vector types, plus whatever the scalar reference decodes, nothing else. */
    @Test
    void supportsIsTruthful() {
        Kernels k = kernels();
        for (DType t : DType.values()) {
            boolean expected = Codecs.supports(t) || (k instanceof VectorKernels && VectorKernels.vectorized(t));
            assertEquals(expected, k.supports(t), k.name() + " supports " + t);
        }
        for (DType t : VECTOR_TYPES) assertTrue(k.supports(t), k.name() + " must support " + t);
    }

    /**
     * Types the backend supports without a vector kernel run on the scalar reference: same result bit for bit. Types
     * nobody supports fail loudly, naming the type.
     */
    @Test
    void typesWithoutVectorKernelDelegateToTheReference() {
        Kernels k = kernels();
        ScalarKernels ref = new ScalarKernels();
        Random r = new Random(11);
        for (DType t : DType.values()) {
            if (k instanceof VectorKernels && VectorKernels.vectorized(t)) continue;
            if (!t.fitsBlocks(512)) continue;
            try (Arena arena = Arena.ofConfined()) {
                Tensor w = weights(t, 2, 512, Fill.RAW, r, arena, false);
                float[] x = activations(512, 0, Fill.QUANTIZED, r);
                if (k.supports(t)) {
                    for (int row = 0; row < 2; row++) {
                        assertEquals(Float.floatToIntBits(ref.dot(w, row, x, 0)), Float.floatToIntBits(k.dot(w, row, x, 0)),
                                t + " dot");
                        float[] a = new float[512], b = new float[512];
                        ref.row(w, row, a, 0);
                        k.row(w, row, b, 0);
                        assertArrayEquals(a, b, t + " row");
                    }
                } else {
                    UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                            () -> k.dot(w, 0, x, 0));
                    assertTrue(e.getMessage().contains(t.name()), e.getMessage());
                }
            }
        }
    }

    /**
     * matvec and matmul over a pool of three threads and an odd number of rows: every output within the summation bound
     * of the exact product (as dot), and a token's outputs from matmul bit for bit those of matvec on that token.
     */
    @Test
    void matvecAndMatmulAgreeWithTheRowsAndEachOther() {
        Kernels k = kernels();
        Random r = new Random(3);
        try (ThreadPool pool = new ThreadPool(3); Arena arena = Arena.ofShared()) {
            for (DType t : VECTOR_TYPES) {
                int rows = 37, cols = t.blockSize == 256 ? 512 : 320;
                Tensor w = weights(t, rows, cols, Fill.QUANTIZED, r, arena, false);
                float[] x = activations(2 * cols, 0, Fill.QUANTIZED, r);
                float[] out = new float[rows + 1];
                k.matvec(pool, w, x, 0, out, 1);
                for (int row = 0; row < rows; row++) {
                    float[] ref = referenceRow(w, row);
                    double exact = 0, sumAbs = 0;
                    for (int i = 0; i < cols; i++) {
                        exact += (double) ref[i] * x[i];
                        sumAbs += Math.abs((double) ref[i] * x[i]);
                    }
                    assertTrue(Math.abs(out[row + 1] - exact) <= sumBound(cols, lanes(k), t.isQuantized(), sumAbs),
                            t + " matvec row " + row + ": " + out[row + 1] + " vs " + exact);
                }
                float[] out2 = new float[2 * rows], one = new float[rows];
                k.matmul(pool, w, x, 2, out2);
                for (int tok = 0; tok < 2; tok++) {
                    k.matvec(pool, w, x, tok * cols, one, 0);
                    for (int row = 0; row < rows; row++)
                        assertEquals(Float.floatToIntBits(one[row]), Float.floatToIntBits(out2[tok * rows + row]), t + " matmul");
                }
            }
        }
    }
}
