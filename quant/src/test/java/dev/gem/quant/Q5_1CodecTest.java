package dev.gem.quant;

import org.junit.jupiter.api.Test;

import static dev.gem.quant.CodecTesting.*;
import static org.junit.jupiter.api.Assertions.*;

class Q5_1CodecTest {
    final BlockCodec codec = new Q5_1Codec();

    @Test
    void decodesAHandBuiltBlock() {
        // d = 0.125, m = 2; every fifth bit set (qh = -1), low nibbles j / 15-j: value = (16 + nibble)/8 + 2.
        Block block = new Block().half(0.125f).half(2f).u32(-1);
        for (int j = 0; j < 16; j++) block.bytes(j | (15 - j) << 4);
        float[] x = decode(codec, block.build());
        for (int j = 0; j < 16; j++) {
            assertEquals((16 + j) * 0.125f + 2, x[j], "element " + j);
            assertEquals((16 + 15 - j) * 0.125f + 2, x[j + 16], "element " + (j + 16));
        }
    }

    @Test
    void quantizesARampExactly() {
        // x_j = j: min 0, max 31, d = 1, so q_j = j. Low nibbles j & 15, fifth bits set for j >= 16.
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) x[j] = j;
        Block expected = new Block().half(1f).half(0f).u32(0xffff0000);
        for (int j = 0; j < 16; j++) expected.bytes(j | j << 4);
        byte[] b = encode(codec, x);
        assertArrayEquals(expected.build(), b);
        assertSameFloats(x, decode(codec, b), "ramp");
    }

    @Test
    void roundTripErrorIsAtMostHalfAStep() {
        // t = (x - min)/d in [0, 31] rounded half up: |error| <= d/2, plus 31·|d' - d| + |m' - min| from fp16 storage.
        for (double sigma : new double[] {1e-3, 1, 1000}) {
            float[] x = gaussian(31, 32 * 64, sigma);
            for (int i = 32; i < 64; i++) x[i] -= (float) (6 * sigma); // an all-negative block
            byte[] b = encode(codec, x);
            float[] y = decode(codec, b);
            for (int blk = 0; blk < 64; blk++) {
                float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
                for (int j = 0; j < 32; j++) {
                    min = Math.min(min, x[32 * blk + j]);
                    max = Math.max(max, x[32 * blk + j]);
                }
                double d = (max - min) / 31.0;
                double bound = d * (0.5 + 32 * 0x1p-23) + 31 * Math.abs(halfAt(b, 24 * blk) - d)
                        + Math.abs(halfAt(b, 24 * blk + 2) - min);
                for (int j = 0; j < 32; j++) {
                    int i = 32 * blk + j;
                    assertTrue(Math.abs(x[i] - y[i]) <= bound + Math.abs(x[i]) * 0x1p-22,
                            "sigma " + sigma + " element " + i + ": " + x[i] + " -> " + y[i] + ", bound " + bound);
                }
            }
        }
    }

    @Test
    void oneHugeValueKeepsItsOwnValueAndFlattensTheRest() {
        float[] x = gaussian(4, 32, 0.01);
        x[20] = 3000f;
        float[] y = roundTrip(codec, x);
        // d = (3000 - min)/31 ≈ 97: the outlier is the top of the grid (31·d' + m'), the rest land on m' or one step.
        assertEquals(3000f, y[20], 3000 * 0x1p-9);
        assertAllFinite(y, "decoded");
    }
}
