package dev.gem.quant;

import dev.gem.tensor.DType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
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
    static final int PROCEDURAL_ROWS = 2048;

    /**
     * A Java copy of make_golden.c's procedural_input: only integer arithmetic, exact float conversions and single
     * IEEE float operations, so it yields the very same floats as the C.
     */
    static float[] proceduralInput() {
        float[] x = new float[PROCEDURAL_ROWS * 256];
        long s = 0x2545F4914F6CDD1DL;
        for (int r = 0; r < PROCEDURAL_ROWS; r++) {
            float scale = Math.scalb(1f, r % 17 - 8 - 23);
            float offset = r % 5 == 0 ? Math.scalb(0.75f, r % 17 - 8) : 0f;
            for (int i = 0; i < 256; i++) {
                int c = 0;
                if (r % 2 == 1) {
                    s = xorshift(s);
                    c = (int) (s >>> 40);
                } else {
                    for (int k = 0; k < 4; k++) {
                        s = xorshift(s);
                        c += (int) (s >>> 42);
                    }
                }
                c -= 1 << 23;
                s = xorshift(s);
                int u = (int) (s >>> 32);
                float v = c * scale;
                if ((u & 15) == 0) v = 0f;
                else if ((u >>> 8 & 255) == 0) v = v * 64f;
                x[r * 256 + i] = v + offset;
            }
        }
        return x;
    }

    private static long xorshift(long s) {
        s ^= s << 13;
        s ^= s >>> 7;
        s ^= s << 17;
        return s;
    }

    static long fnv1a(byte[] b) {
        long h = 0xcbf29ce484222325L;
        for (byte v : b) {
            h ^= v & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    static Map<String, Long> proceduralHashes() {
        Map<String, Long> m = new HashMap<>();
        for (String line : CodecTesting.goldenText("procedural.txt").split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            String[] f = line.trim().split(" ");
            m.put(f[0], Long.parseUnsignedLong(f[1], 16));
        }
        return m;
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_1", "Q8_K",
            "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS", "MXFP4"})
    void quantizesHalfAMillionProceduralValuesLikeGgml(DType type) {
        // 2048 more super-blocks than the detailed golden rows, checked through a hash of ggml's bytes: rare paths
        // of the scale searches (late refinement sweeps, near-ties between candidate scales) get exercised.
        float[] x = proceduralInput();
        Map<String, Long> hashes = proceduralHashes();
        byte[] inputBytes = new byte[x.length * 4];
        ByteBuffer.wrap(inputBytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(x);
        assertEquals(hashes.get("INPUT"), fnv1a(inputBytes), "the Java procedural input differs from the C one");
        byte[] q = CodecTesting.encode(Codecs.of(type), x);
        assertEquals(Long.toHexString(hashes.get(type.name())), Long.toHexString(fnv1a(q)), type + " bytes differ from ggml's");
    }

    @ParameterizedTest
    @EnumSource(names = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_1", "Q8_K",
            "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS", "MXFP4"})
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
    @EnumSource(names = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_K",
            "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS", "MXFP4"})
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
