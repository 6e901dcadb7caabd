package dev.gem.quant;

import org.junit.jupiter.api.Test;

import static dev.gem.quant.CodecTesting.*;
import static org.junit.jupiter.api.Assertions.*;

class Q5_0CodecTest {
    final BlockCodec codec = new Q5_0Codec();

    @Test
    void decodesAHandBuiltBlock() {
        // d = 0.5; qh = 0x80000001 sets the fifth bit of element 0 and element 31 only.
        // Byte j: low nibble j (element j), high nibble 15-j (element j+16).
        Block block = new Block().half(0.5f).u32(0x80000001);
        for (int j = 0; j < 16; j++) block.bytes(j | (15 - j) << 4);
        float[] x = decode(codec, block.build());
        assertEquals((16 - 16) * 0.5f, x[0]);
        for (int j = 1; j < 16; j++) assertEquals((j - 16) * 0.5f, x[j], "element " + j);
        for (int j = 0; j < 15; j++) assertEquals((15 - j - 16) * 0.5f, x[j + 16], "element " + (j + 16));
        assertEquals((0 + 16 - 16) * 0.5f, x[31]);
    }

    @Test
    void quantizesAHandComputedBlock() {
        // The extreme is -16, so d = 1 and q = min(31, trunc(x + 16.5)).
        float[] x = new float[32]; // zeros -> q 16: low nibble 0, fifth bit 1
        x[0] = -16;    // 0
        x[1] = 15;     // 31
        x[2] = 16;     // 32 clamped to 31
        x[3] = -0.5f;  // 16: a half rounds up
        x[16] = -9.2f; // trunc(7.3) = 7, high nibble of byte 0, fifth bit clear
        int qh = ~((1 << 0) | (1 << 16)); // every quant except those two has q >= 16
        Block expected = new Block().half(1f).u32(qh).bytes(0 | 7 << 4, 15, 15, 0).repeat(12, 0);
        assertArrayEquals(expected.build(), encode(codec, x));
        assertEquals(15f, roundTrip(codec, x)[2]);
    }

    @Test
    void roundTripErrorIsAtMostHalfAStepExceptAtTheClampedEnd() {
        // As Q4_0 with 16 levels each side: t = x/d in [-16, 16]; |error| <= |d|/2 except t in (15.5, 16], clamped to
        // 15. fp16 storage of d adds up to 16·|d' - d|.
        for (double sigma : new double[] {1e-3, 1, 1000}) {
            float[] x = gaussian(29, 32 * 64, sigma);
            x[70] = (float) (40 * sigma);
            x[71] = (float) (-40 * sigma);
            byte[] b = encode(codec, x);
            float[] y = decode(codec, b);
            for (int blk = 0; blk < 64; blk++) {
                float amax = 0, max = 0;
                for (int j = 0; j < 32; j++) {
                    float v = x[32 * blk + j];
                    if (Math.abs(v) > amax) { amax = Math.abs(v); max = v; }
                }
                double d = max / -16.0, stored = halfAt(b, 22 * blk);
                for (int j = 0; j < 32; j++) {
                    int i = 32 * blk + j;
                    double t = x[i] / d;
                    double steps = t > 15.5 ? t - 15 : 0.5;
                    double bound = Math.abs(d) * (steps + 32 * 0x1p-23) + 16 * Math.abs(stored - d) + Math.abs(x[i]) * 0x1p-23;
                    assertTrue(Math.abs(x[i] - y[i]) <= bound,
                            "sigma " + sigma + " element " + i + ": " + x[i] + " -> " + y[i] + ", bound " + bound);
                }
            }
        }
    }

    @Test
    void zeroBlockDecodesToZeros() {
        // d = 0/-16 = -0.0 and every quant is 16: low nibbles 0, all fifth bits set.
        byte[] b = encode(codec, new float[32]);
        assertArrayEquals(new Block().half(-0f).u32(-1).repeat(16, 0).build(), b);
        for (float v : decode(codec, b)) assertEquals(-0f, v);
    }
}
