package dev.gem.quant;

import dev.gem.tensor.DType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.HexFormat;

import static dev.gem.quant.CodecTesting.assertSameFloats;
import static dev.gem.quant.CodecTesting.decode;
import static dev.gem.quant.CodecTesting.golden;
import static dev.gem.quant.CodecTesting.goldenFloats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * GEM against ggml itself. The resources under ggml/ were made by src/test/ggml/make_golden.c, which calls ggml's own
 * library: the bytes llama-quantize writes for 32 rows of 256 values chosen to hit every special case of the
 * quantizers (zeros, constants, outliers, ties, subnormal and overflowing scales), and ggml's decoding of random blocks.
 */
class GgmlGoldenTest {
    static final float[] INPUT = goldenFloats("input.f32");

    @ParameterizedTest
    @EnumSource(names = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"})
    void quantizesLikeGgml(DType type) {
        BlockCodec codec = Codecs.of(type);
        byte[] expected = golden(type + ".q");
        byte[] actual = new byte[expected.length];
        codec.quantize(INPUT, 0, MemorySegment.ofArray(actual), 0, INPUT.length);
        int block = type.blockBytes;
        for (int b = 0; b < expected.length / block; b++) {
            byte[] e = Arrays.copyOfRange(expected, b * block, (b + 1) * block);
            byte[] a = Arrays.copyOfRange(actual, b * block, (b + 1) * block);
            if (!Arrays.equals(e, a)) {
                int first = b * type.blockSize;
                fail(type + " block " + b + " (input row " + first / 256 + ", values " + first + "..): expected\n"
                        + HexFormat.ofDelimiter(" ").formatHex(e) + "\nbut was\n" + HexFormat.ofDelimiter(" ").formatHex(a)
                        + "\ninput " + Arrays.toString(Arrays.copyOfRange(INPUT, first, first + type.blockSize)));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"})
    void decodesRandomBlocksLikeGgml(DType type) {
        float[] expected = goldenFloats(type + ".rnd.f32");
        float[] actual = decode(Codecs.of(type), golden(type + ".rnd"));
        assertSameFloats(expected, actual, type + " decoding of random blocks");
    }

    @ParameterizedTest
    @EnumSource(names = {"F32"})
    void f32IsACopy(DType type) {
        float[] back = CodecTesting.roundTrip(Codecs.of(type), INPUT);
        assertSameFloats(INPUT, back, "F32 round trip");
        assertEquals(INPUT.length * 4L, type.bytesFor(INPUT.length));
    }
}
