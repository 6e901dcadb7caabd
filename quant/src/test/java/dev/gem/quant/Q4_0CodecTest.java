package dev.gem.quant;

import org.junit.jupiter.api.Test;

import static dev.gem.quant.CodecTesting.*;
import static org.junit.jupiter.api.Assertions.*;

class Q4_0CodecTest {
    final BlockCodec codec = new Q4_0Codec();

    @Test
    void decodesAHandBuiltBlock() {
        // d = 0.5; byte j holds element j (low nibble j) and element j+16 (high nibble 15-j).
        Block block = new Block().half(0.5f);
        for (int j = 0; j < 16; j++) block.bytes(j | (15 - j) << 4);
        float[] x = decode(codec, block.build());
        for (int j = 0; j < 16; j++) {
            assertEquals((j - 8) * 0.5f, x[j], "element " + j);
            assertEquals((15 - j - 8) * 0.5f, x[j + 16], "element " + (j + 16));
        }
    }

    @Test
    void quantizesAHandComputedBlock() {
        // The first value of largest magnitude is -8, so d = -8/-8 = 1 and q = min(15, trunc(x + 8.5)).
        float[] x = new float[32];
        x[0] = -8;      // q 0
        x[1] = 7;       // q 15
        x[2] = 8;       // same magnitude as x[0] but later: q would be 16, clamped to 15 (decodes as 7)
        x[3] = 0.5f;    // 9: a half rounds up
        x[4] = -0.5f;   // 8: a half rounds up, to zero
        x[5] = 2.49f;   // 10
        x[16] = -3;     // 5, in the high nibble of byte 0
        x[17] = 6.5f;   // 15
        // Unset values are 0 -> q 8.
        Block expected = new Block().half(1f).bytes(0 | 5 << 4, 15 | 15 << 4, 15 | 8 << 4, 9 | 8 << 4, 8 | 8 << 4, 10 | 8 << 4);
        expected.repeat(10, 0x88);
        assertArrayEquals(expected.build(), encode(codec, x));
        float[] y = roundTrip(codec, x);
        assertEquals(7f, y[2]);
        assertEquals(-8f, y[0]);
    }

    @Test
    void roundTripErrorIsAtMostHalfAStepExceptAtTheClampedEnd() {
        // d = max/-8 puts the extreme value at q = -8 exactly; every other t = x/d lies in [-8, 8] and is rounded to the
        // nearest integer, |error| <= |d|/2, except t in (7.5, 8] which is clamped to 7: |error| <= |d|. Storing d as
        // fp16 moves a decoded value by at most 8·|d' - d|; float rounding of x·(1/d) adds about 8·2^-23 of a step.
        for (double sigma : new double[] {1e-3, 1, 1000}) {
            float[] x = gaussian(17, 32 * 64, sigma);
            x[40] = (float) (-30 * sigma);
            x[41] = (float) (30 * sigma);   // +max in a block whose extreme is -max: the clamped case
            byte[] b = encode(codec, x);
            float[] y = decode(codec, b);
            for (int blk = 0; blk < 64; blk++) {
                float amax = 0, max = 0;
                for (int j = 0; j < 32; j++) {
                    float v = x[32 * blk + j];
                    if (Math.abs(v) > amax) { amax = Math.abs(v); max = v; }
                }
                double d = max / -8.0, stored = halfAt(b, 18 * blk);
                for (int j = 0; j < 32; j++) {
                    int i = 32 * blk + j;
                    double t = x[i] / d;
                    double steps = t > 7.5 ? t - 7 : 0.5;
                    double bound = Math.abs(d) * (steps + 16 * 0x1p-23) + 8 * Math.abs(stored - d) + Math.abs(x[i]) * 0x1p-23;
                    assertTrue(Math.abs(x[i] - y[i]) <= bound,
                            "sigma " + sigma + " element " + i + ": " + x[i] + " -> " + y[i] + ", bound " + bound);
                }
            }
        }
    }

    @Test
    void aPositiveExtremeGetsANegativeScale() {
        float[] x = gaussian(2, 32, 0.1);
        x[3] = 4f;
        byte[] b = encode(codec, x);
        assertEquals(-0.5f, halfAt(b, 0));
        assertEquals(0, b[2 + 3] & 0x0f);
        assertEquals(4f, decode(codec, b)[3]);
    }

    @Test
    void zeroBlockDecodesToZeros() {
        // max = 0 gives d = 0/-8 = -0.0 (stored as 0x8000, as ggml does) and every quant is the midpoint 8, so the
        // nibbles are 0x88 and the values (8 - 8)·-0.0 = -0.0.
        byte[] b = encode(codec, new float[32]);
        assertArrayEquals(new Block().half(-0f).repeat(16, 0x88).build(), b);
        for (float v : decode(codec, b)) assertEquals(-0f, v);
    }
}
