package dev.gem.quant;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Helpers shared by the codec tests: byte-level block building, encode/decode on heap segments, test rows. */
final class CodecTesting {
    private CodecTesting() {}

    static byte[] encode(BlockCodec c, float[] x) {
        byte[] out = new byte[(int) c.type().bytesFor(x.length)];
        c.quantize(x, 0, MemorySegment.ofArray(out), 0, x.length);
        return out;
    }

    static float[] decode(BlockCodec c, byte[] bytes) {
        int n = bytes.length / c.type().blockBytes * c.type().blockSize;
        float[] out = new float[n];
        c.dequantize(MemorySegment.ofArray(bytes), 0, out, 0, n);
        return out;
    }

    static float[] roundTrip(BlockCodec c, float[] x) {
        return decode(c, encode(c, x));
    }

    /** Appends little-endian fields, to write blocks by hand exactly as the C structs lay them out. */
    static final class Block {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Block half(float v) {
            short h = Float.floatToFloat16(v);
            if (Float.float16ToFloat(h) != v) throw new IllegalArgumentException(v + " is not exact in fp16");
            return u16(h & 0xffff);
        }

        Block u16(int v) {
            out.write(v);
            out.write(v >>> 8);
            return this;
        }

        Block u32(int v) {
            return u16(v & 0xffff).u16(v >>> 16);
        }

        Block f32(float v) {
            return u32(Float.floatToRawIntBits(v));
        }

        Block bytes(int... v) {
            for (int b : v) out.write(b);
            return this;
        }

        Block repeat(int count, int v) {
            for (int i = 0; i < count; i++) out.write(v);
            return this;
        }

        byte[] build() {
            return out.toByteArray();
        }
    }

    static float[] gaussian(long seed, int n, double sigma) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (sigma * r.nextGaussian());
        return x;
    }

    static float[] filled(int n, float v) {
        float[] x = new float[n];
        java.util.Arrays.fill(x, v);
        return x;
    }

    /** Bit-for-bit equality, except that any NaN equals any NaN (C and Java may carry different NaN payloads). */
    static void assertSameFloats(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i]))
                fail(what + ": element " + i + " expected " + expected[i] + " but was " + actual[i]);
        }
    }

    static void assertAllFinite(float[] x, String what) {
        for (int i = 0; i < x.length; i++)
            if (!Float.isFinite(x[i])) fail(what + ": element " + i + " is " + x[i]);
    }

    // Golden data written by src/test/ggml/make_golden.c from ggml's own library.

    static byte[] golden(String name) {
        try (InputStream in = CodecTesting.class.getResourceAsStream("/ggml/" + name + ".gz")) {
            if (in == null) throw new IllegalStateException("missing test resource ggml/" + name + ".gz");
            return new GZIPInputStream(in).readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String goldenText(String name) {
        try (InputStream in = CodecTesting.class.getResourceAsStream("/ggml/" + name)) {
            if (in == null) throw new IllegalStateException("missing test resource ggml/" + name);
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static float[] goldenFloats(String name) {
        byte[] b = golden(name);
        float[] f = new float[b.length / 4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }

    static float halfAt(byte[] b, int i) {
        return Float.float16ToFloat((short) ((b[i] & 0xff) | (b[i + 1] & 0xff) << 8));
    }

    /**
     * Asserts that {@code y} is the point of {@code grid} nearest {@code x} (up to {@code slack}): what a quantizer
     * that rounds against the stored scales must produce, wherever the grid came from.
     */
    static void assertNearestOnGrid(float x, float y, float[] grid, double slack, String what) {
        double best = Double.MAX_VALUE;
        boolean onGrid = false;
        for (float g : grid) {
            best = Math.min(best, Math.abs(g - x));
            onGrid |= g == y;
        }
        if (!onGrid) fail(what + ": " + y + " is not on the grid " + java.util.Arrays.toString(grid));
        if (Math.abs(y - x) > best + slack)
            fail(what + ": " + x + " -> " + y + " but the grid has a point at distance " + best);
    }

    /** fp16's rounding error bound for a stored scale: half an ulp, relative 2^-11 when normal, 2^-25 absolute below. */
    static double halfRoundingBound(float stored) {
        return Math.max(Math.abs(stored) * 0x1p-11, 0x1p-25);
    }
}
