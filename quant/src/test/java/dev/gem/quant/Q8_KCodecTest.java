package dev.gem.quant;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static dev.gem.quant.CodecTesting.*;
import static org.junit.jupiter.api.Assertions.*;

class Q8_KCodecTest {
    final BlockCodec codec = new Q8_KCodec();

    @Test
    void decodesAHandBuiltBlock() {
        // d = 0.5 as float32, quants i - 128 (the full int8 range), bsums garbage: decoding ignores them.
        Block block = new Block().f32(0.5f);
        for (int i = 0; i < 256; i++) block.bytes(i - 128);
        block.repeat(32, 0x7f);
        float[] x = decode(codec, block.build());
        for (int i = 0; i < 256; i++) assertEquals((i - 128) * 0.5f, x[i], "element " + i);
    }

    @Test
    void quantizesAHandComputedBlock() {
        // The extreme is -127 so iscale = -127/-127 = 1 and d = 1. nearest_int rounds ties to even: 2.5 -> 2,
        // 3.5 -> 4, -0.5 -> 0, -1.5 -> -2. Group 0's bsum: -127 + 2 + 4 + 0 - 2 = -123; group 1 holds one 100.
        float[] x = new float[256];
        float[] in = {-127, 2.5f, 3.5f, -0.5f, -1.5f};
        System.arraycopy(in, 0, x, 0, in.length);
        x[20] = 100;
        Block expected = new Block().f32(1f).bytes(-127, 2, 4, 0, -2).repeat(15, 0).bytes(100).repeat(235, 0)
                .u16(-123 & 0xffff).u16(100).repeat(28, 0);
        assertArrayEquals(expected.build(), encode(codec, x));
    }

    @Test
    void roundTripErrorIsAtMostHalfAStepAndBsumsAreGroupSums() {
        // d = 1/iscale (iscale = -127/max) is stored as float32 as is, and x·iscale lies in [-127, 127]: plain rounding
        // to the nearest integer, |error| <= |d|/2. Float rounding (of iscale, x·iscale, 1/iscale and q·d, each 2^-24
        // relative on values up to 127 steps) adds less than 8·127·2^-24 of a step.
        for (double sigma : new double[] {1e-6, 1, 1e4}) {
            float[] x = gaussian(43, 256 * 8, sigma);
            x[300] = (float) (-50 * sigma); // a huge negative extreme in block 1
            byte[] b = encode(codec, x);
            float[] y = decode(codec, b);
            ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            for (int blk = 0; blk < 8; blk++) {
                int base = 292 * blk;
                float d = bb.getFloat(base);
                for (int i = 256 * blk; i < 256 * blk + 256; i++)
                    assertTrue(Math.abs(x[i] - y[i]) <= Math.abs(d) * (0.5 + 127 * 0x1p-21), "element " + i);
                for (int g = 0; g < 16; g++) {
                    int sum = 0;
                    for (int j = 0; j < 16; j++) sum += b[base + 4 + 16 * g + j];
                    assertEquals(sum, bb.getShort(base + 260 + 2 * g), "block " + blk + " group " + g);
                }
            }
            assertEquals(-127, b[292 + 4 + 300 - 256]);
        }
    }
}
