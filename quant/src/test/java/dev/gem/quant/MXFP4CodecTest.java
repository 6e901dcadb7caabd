package dev.gem.quant;

import org.junit.jupiter.api.Test;

import static dev.gem.quant.CodecTesting.*;
import static org.junit.jupiter.api.Assertions.*;

class MXFP4CodecTest {
    final BlockCodec codec = new MXFP4Codec();
    /** The E2M1 values in code order 0..15. */
    static final float[] E2M1 = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6, 0, -0.5f, -1, -1.5f, -2, -3, -4, -6};

    @Test
    void decodesAHandBuiltBlock() {
        // e = 127: scale 2^0, so values are the E2M1 values themselves. Byte j: code j, then code 15 - j.
        Block block = new Block().bytes(127);
        for (int j = 0; j < 16; j++) block.bytes(j | (15 - j) << 4);
        float[] y = decode(codec, block.build());
        for (int j = 0; j < 16; j++) {
            assertEquals(E2M1[j], y[j], 0f, "element " + j);
            assertEquals(E2M1[15 - j], y[j + 16], 0f, "element " + (j + 16));
        }
    }

    @Test
    void decodesExtremeExponents() {
        // Code 7 (6.0) under e = 0, 1 (scales 2^-127, 2^-126 reached through float32 subnormals) and e = 252
        // (6·2^125, the largest e whose top level is still finite in float32).
        for (int e : new int[] {0, 1, 252}) {
            float[] y = decode(codec, new Block().bytes(e).repeat(16, 0x77).build());
            assertEquals(6 * Math.scalb(1.0, e - 127), y[0], 0, "e = " + e);
        }
    }

    @Test
    void quantizesAHandComputedBlock() {
        // amax 6: floor(log2 6) = 2, e = 2 - 2 + 127 = 127, scale 1. Nearest E2M1 value, first code on ties:
        // 6 -> 7, 3 -> 5, 1.5 -> 3, -0.75 -> 9 (-0.5 and -1 tie; -0.5 comes first), 0.2 -> 0, -0.1 -> 0 (+0 before
        // -0), 5 -> 6 (4 and 6 tie), -5.9 -> 15 (-6).
        float[] x = new float[32];
        float[] in = {6, 3, 1.5f, -0.75f, 0.2f, -0.1f, 5, -5.9f};
        System.arraycopy(in, 0, x, 0, in.length);
        Block expected = new Block().bytes(127, 7, 5, 3, 9, 0, 0, 6, 15).repeat(8, 0);
        assertArrayEquals(expected.build(), encode(codec, x));
    }

    @Test
    void aValueJustBelowAPowerOfTwoCountsAsThatPower() {
        // ggml computes floorf(log2f(amax)); log2f(1024·(1 - 2^-24)) rounds to 10.0 in float, so e = 10 - 2 + 127.
        float[] x = new float[32];
        x[3] = Math.nextDown(1024f);
        assertEquals(135, encode(codec, x)[0] & 0xff);
        x[3] = Math.nextDown(4f); // log2 = 2 - 8.6e-8 is still below 2 in float: e = 1 - 2 + 127
        assertEquals(126, encode(codec, x)[0] & 0xff);
    }

    @Test
    void everyValueIsTheNearestPointOfTheBlocksGrid() {
        // The scale is an exact power of two and each value takes the nearest of the 15 distinct E2M1 multiples, so
        // the decoded value is the nearest grid point; values beyond 6·scale (amax can reach 8·scale) clamp to it.
        for (double sigma : new double[] {1e-3, 1, 100}) {
            float[] x = gaussian(67, 32 * 64, sigma);
            x[3] = (float) (30 * sigma);
            x[77] = (float) (-30 * sigma);
            byte[] b = encode(codec, x);
            float[] y = decode(codec, b);
            for (int blk = 0; blk < 64; blk++) {
                float scale = MXFP4Codec.halfScale(b[17 * blk] & 0xff) * 2;
                float[] grid = new float[16];
                for (int l = 0; l < 16; l++) grid[l] = E2M1[l] * scale;
                for (int i = 32 * blk; i < 32 * blk + 32; i++)
                    assertNearestOnGrid(x[i], y[i], grid, 1e-6 * Math.abs(x[i]), "element " + i);
            }
        }
    }
}
