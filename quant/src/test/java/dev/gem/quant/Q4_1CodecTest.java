package dev.gem.quant;

import org.junit.jupiter.api.Test;

import static dev.gem.quant.CodecTesting.*;
import static org.junit.jupiter.api.Assertions.*;

class Q4_1CodecTest {
    final BlockCodec codec = new Q4_1Codec();

    @Test
    void decodesAHandBuiltBlock() {
        // d = 0.25, m = -1: value = q/4 - 1. Byte j: low nibble j (element j), high nibble 15-j (element j+16).
        Block block = new Block().half(0.25f).half(-1f);
        for (int j = 0; j < 16; j++) block.bytes(j | (15 - j) << 4);
        float[] x = decode(codec, block.build());
        for (int j = 0; j < 16; j++) {
            assertEquals(j * 0.25f - 1, x[j], "element " + j);
            assertEquals((15 - j) * 0.25f - 1, x[j + 16], "element " + (j + 16));
        }
    }

    @Test
    void quantizesAHandComputedBlock() {
        // min -1, max 2.75: d = 3.75/15 = 0.25, 1/d = 4, q = min(15, trunc((x + 1)·4 + 0.5)).
        float[] x = filled(32, 0f); // 0 -> trunc(4.5) = 4
        x[0] = -1;        // 0
        x[1] = 2.75f;     // 15
        x[2] = -0.875f;   // (0.125·4 = 0.5) + 0.5 -> 1: a half rounds up
        x[16] = 1.1f;     // 2.1·4 + 0.5 = 8.9 -> 8
        Block expected = new Block().half(0.25f).half(-1f).bytes(0 | 8 << 4, 15 | 4 << 4, 1 | 4 << 4).repeat(13, 0x44);
        assertArrayEquals(expected.build(), encode(codec, x));
    }

    @Test
    void roundTripErrorIsAtMostHalfAStep() {
        // d = (max - min)/15 and t = (x - min)/d lies in [0, 15], rounded half up: |error| <= d/2. Decoding uses
        // fp16(d) and fp16(min): that adds at most 15·|d' - d| + |m' - min|.
        for (double sigma : new double[] {1e-3, 1, 1000}) {
            float[] x = gaussian(23, 32 * 64, sigma);
            for (int i = 0; i < 32; i++) x[i] += (float) (5 * sigma); // an all-positive block: min > 0
            byte[] b = encode(codec, x);
            float[] y = decode(codec, b);
            for (int blk = 0; blk < 64; blk++) {
                float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
                for (int j = 0; j < 32; j++) {
                    min = Math.min(min, x[32 * blk + j]);
                    max = Math.max(max, x[32 * blk + j]);
                }
                double d = (max - min) / 15.0;
                double bound = d * (0.5 + 16 * 0x1p-23) + 15 * Math.abs(halfAt(b, 20 * blk) - d)
                        + Math.abs(halfAt(b, 20 * blk + 2) - min);
                for (int j = 0; j < 32; j++) {
                    int i = 32 * blk + j;
                    assertTrue(Math.abs(x[i] - y[i]) <= bound + Math.abs(x[i]) * 0x1p-22,
                            "sigma " + sigma + " element " + i + ": " + x[i] + " -> " + y[i] + ", bound " + bound);
                }
            }
        }
    }

    @Test
    void constantBlockIsExactWhenTheConstantIsAHalf() {
        // max == min gives d = 0: every value decodes to m, exact when the constant is representable in fp16.
        float[] y = roundTrip(codec, filled(64, -0.75f));
        for (float v : y) assertEquals(-0.75f, v);
        for (float v : roundTrip(codec, new float[32])) assertEquals(0f, v);
    }
}
