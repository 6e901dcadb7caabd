package dev.gem.quant;

import dev.gem.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static dev.gem.quant.CodecTesting.*;
import static org.junit.jupiter.api.Assertions.*;

/** What every registered codec must do, whatever its format. */
class CodecContractTest {
    static final Set<DType> EXPECTED = EnumSet.of(
            DType.F32, DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0, DType.Q4_1, DType.Q5_0, DType.Q5_1,
            DType.Q8_1, DType.Q8_K, DType.Q2_K, DType.Q3_K, DType.Q4_K, DType.Q5_K, DType.Q6_K,
            DType.IQ4_NL, DType.IQ4_XS, DType.MXFP4);

    static Stream<DType> supported() {
        return Arrays.stream(DType.values()).filter(Codecs::supports);
    }

    @Test
    void registryHoldsExactlyTheImplementedFormats() {
        assertEquals(EXPECTED, supported().collect(Collectors.toCollection(() -> EnumSet.noneOf(DType.class))));
        for (DType t : EXPECTED) assertEquals(t, Codecs.of(t).type());
    }

    @Test
    void unsupportedTypeIsAnErrorNamingIt() {
        var e = assertThrows(UnsupportedOperationException.class, () -> Codecs.of(DType.IQ2_XXS));
        assertTrue(e.getMessage().contains("IQ2_XXS"), e.getMessage());
    }

    @ParameterizedTest
    @MethodSource("supported")
    void offsetsInArraysAndUnalignedSegmentOffsetsAreHonoured(DType t) {
        BlockCodec c = Codecs.of(t);
        int n = 512; // whole blocks of every format
        float[] x = gaussian(t.ordinal(), n, 1);
        byte[] plain = encode(c, x);

        float[] shifted = new float[n + 3];
        System.arraycopy(x, 0, shifted, 3, n);
        byte[] at5 = new byte[plain.length + 5 + 4];
        Arrays.fill(at5, (byte) 0x5a);
        c.quantize(shifted, 3, MemorySegment.ofArray(at5), 5, n);
        assertArrayEquals(plain, Arrays.copyOfRange(at5, 5, 5 + plain.length), "bytes written at offset 5");
        for (int i : new int[] {0, 1, 2, 3, 4, 5 + plain.length, 6 + plain.length, 7 + plain.length, 8 + plain.length})
            assertEquals((byte) 0x5a, at5[i], "byte " + i + " outside the range written");

        float[] back = new float[n + 9];
        Arrays.fill(back, 42f);
        c.dequantize(MemorySegment.ofArray(at5), 5, back, 7, n);
        assertSameFloats(decode(c, plain), Arrays.copyOfRange(back, 7, 7 + n), "decoded from offset 5");
        assertEquals(42f, back[6]);
        assertEquals(42f, back[7 + n]);
    }

    @ParameterizedTest
    @MethodSource("supported")
    void partialBlocksAreRejected(DType t) {
        if (t.blockSize == 1) return;
        BlockCodec c = Codecs.of(t);
        MemorySegment seg = MemorySegment.ofArray(new byte[t.blockBytes * 2]);
        assertThrows(IllegalArgumentException.class, () -> c.quantize(new float[64], 0, seg, 0, t.blockSize + 1));
        assertThrows(IllegalArgumentException.class, () -> c.dequantize(seg, 0, new float[64], 0, t.blockSize - 1));
    }

    @ParameterizedTest
    @MethodSource("supported")
    void finiteInputsDecodeToFiniteValuesAtEveryScale(DType t) {
        BlockCodec c = Codecs.of(t);
        // From scales whose fp16 factors are subnormal up to values whose scales are still finite in fp16.
        for (double sigma : new double[] {1e-9, 1e-6, 1e-3, 1, 1e3}) {
            float[] x = gaussian(99, 1024, sigma);
            x[5] = (float) (-8 * sigma);
            assertAllFinite(roundTrip(c, x), t + " at sigma " + sigma);
        }
    }

    @ParameterizedTest
    @MethodSource("supported")
    void zerosDecodeToZeros(DType t) {
        for (float v : roundTrip(Codecs.of(t), new float[512])) assertEquals(0, v, 0, t.toString());
    }

    @ParameterizedTest
    @MethodSource("supported")
    void zeroLengthIsANoOp(DType t) {
        BlockCodec c = Codecs.of(t);
        c.quantize(new float[0], 0, MemorySegment.ofArray(new byte[0]), 0, 0);
        c.dequantize(MemorySegment.ofArray(new byte[0]), 0, new float[0], 0, 0);
    }
}
