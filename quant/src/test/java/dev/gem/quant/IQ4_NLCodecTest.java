package dev.gem.quant;

import org.junit.jupiter.api.Test;

import static dev.gem.quant.CodecTesting.*;
import static org.junit.jupiter.api.Assertions.*;

class IQ4_NLCodecTest {
    final BlockCodec codec = new IQ4_NLCodec();
    /** Half of each of ggml's 16 levels (-127, -104, ..., 113). */
    static final float[] HALF_LEVELS = {-63.5f, -52, -41.5f, -32.5f, -24.5f, -17.5f, -11, -5, 0.5f, 6.5f, 12.5f, 19,
            26.5f, 34.5f, 44.5f, 56.5f};

    @Test
    void decodesAHandBuiltBlock() {
        // d = 0.5; byte j: index j for element j, index 15 - j for element j + 16.
        Block block = new Block().half(0.5f);
        for (int j = 0; j < 16; j++) block.bytes(j | (15 - j) << 4);
        float[] y = decode(codec, block.build());
        for (int j = 0; j < 16; j++) {
            assertEquals(HALF_LEVELS[j], y[j], "element " + j);
            assertEquals(HALF_LEVELS[15 - j], y[j + 16], "element " + (j + 16));
        }
    }

    @Test
    void valuesOnTheGridAreReproducedExactly() {
        // x = 0.25·level: one of the scales tried (putting the extreme -31.75 on level -127) fits with zero error and
        // no other can beat it, so d = 0.25 and the indices are the levels themselves: byte j = j | j << 4.
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) x[j] = 0.25f * NonLinear4Bit.LEVELS[j % 16];
        Block expected = new Block().half(0.25f);
        for (int j = 0; j < 16; j++) expected.bytes(j | j << 4);
        byte[] b = encode(codec, x);
        assertArrayEquals(expected.build(), b);
        assertSameFloats(x, decode(codec, b), "round trip");
    }

    @Test
    void nearestLevelBreaksExactMidpointsUpwards() {
        assertEquals(0, NonLinear4Bit.nearestLevel(-1000));
        assertEquals(15, NonLinear4Bit.nearestLevel(1000));
        assertEquals(7, NonLinear4Bit.nearestLevel(-5.6f));  // between -10 and 1, 4.4 from -10
        assertEquals(8, NonLinear4Bit.nearestLevel(-4.5f));  // midpoint of -10 and 1 goes up
        assertEquals(8, NonLinear4Bit.nearestLevel(0));
        assertEquals(15, NonLinear4Bit.nearestLevel(101));   // midpoint of 89 and 113 goes up
        assertEquals(14, NonLinear4Bit.nearestLevel(100.99f));
    }

    @Test
    void everyValueIsNearlyTheNearestLevelOfTheStoredScale() {
        // The indices are chosen against the float32 scale, then the scale is stored as fp16: the decoded value can
        // be off the nearest stored-grid point by at most 2·127·|d - d'| (both points move by at most 127·|d - d'|).
        for (double sigma : new double[] {1e-3, 1, 100}) {
            float[] x = gaussian(63, 32 * 64, sigma);
            x[5] = (float) (50 * sigma);
            x[99] = (float) (-50 * sigma);
            byte[] b = encode(codec, x);
            float[] y = decode(codec, b);
            for (int blk = 0; blk < 64; blk++) {
                float d = halfAt(b, 18 * blk);
                float[] grid = new float[16];
                for (int l = 0; l < 16; l++) grid[l] = d * NonLinear4Bit.LEVELS[l];
                double slack = 2 * 127 * halfRoundingBound(d) + 1e-5 * Math.abs(d);
                for (int i = 32 * blk; i < 32 * blk + 32; i++) assertNearestOnGrid(x[i], y[i], grid, slack, "element " + i);
            }
        }
    }

    @Test
    void zeroBlockStoresZeroScaleAndTheLevelNearestZero() {
        // All-zero input: scale 0 and every index is 8 (level +1, the level nearest 0): bytes 0x88.
        assertArrayEquals(new Block().half(0f).repeat(16, 0x88).build(), encode(codec, new float[32]));
    }
}
