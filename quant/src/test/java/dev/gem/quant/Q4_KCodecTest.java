package dev.gem.quant;

import org.junit.jupiter.api.Test;

import static dev.gem.quant.CodecTesting.*;
import static org.junit.jupiter.api.Assertions.*;

class Q4_KCodecTest {
    final BlockCodec codec = new Q4_KCodec();

    /**
     * Scales 1..7, 40 and mins 0, 2, 4, 6, 8, 10, 50, 14, packed by hand: bytes 0..3 scales 1..4 (byte 3 also takes
     * scale 40's top bits 10 -> 0x84), bytes 4..7 mins 0, 2, 4, 6 (byte 6 also takes min 50's top bits 11 -> 0xC4),
     * bytes 8..11 low nibbles of scale | min for groups 4..7: 0x85, 0xA6, 0x27 (50 & 15 = 2), 0xE8 (40 & 15 = 8).
     */
    static final int[] SCALES_AND_MINS = {1, 2, 3, 0x84, 0, 2, 0xc4, 6, 0x85, 0xa6, 0x27, 0xe8};
    static final int[] SCALE = {1, 2, 3, 4, 5, 6, 7, 40};
    static final int[] MIN = {0, 2, 4, 6, 8, 10, 50, 14};

    @Test
    void unpacksHandPackedScalesAndMins() {
        byte[] b = new Block().bytes(SCALES_AND_MINS).build();
        for (int j = 0; j < 8; j++) {
            assertEquals(SCALE[j], PackedScales6.scale(b, 0, j), "scale " + j);
            assertEquals(MIN[j], PackedScales6.min(b, 0, j), "min " + j);
        }
        byte[] packed = new byte[12];
        for (int j = 0; j < 8; j++) PackedScales6.put(packed, 0, j, SCALE[j], MIN[j]);
        assertArrayEquals(b, packed);
    }

    @Test
    void decodesAHandBuiltBlock() {
        // d = 0.5, dmin = 0.125. Every quant byte 0x21: even groups (low nibbles) q = 1, odd groups q = 2, except
        // byte 33 = 0xF0: element 65 (group 2) q = 0 and element 97 (group 3) q = 15.
        Block block = new Block().half(0.5f).half(0.125f).bytes(SCALES_AND_MINS);
        for (int i = 0; i < 128; i++) block.bytes(i == 33 ? 0xf0 : 0x21);
        float[] y = decode(codec, block.build());
        float[] perGroup = {0.5f, 1.75f, 1.0f, 3.25f, 1.5f, 4.75f, -2.75f, 38.25f}; // 0.5·sc·q - 0.125·m
        for (int i = 0; i < 256; i++) {
            float expected = i == 65 ? -0.5f : i == 97 ? 29.25f : perGroup[i / 32];
            assertEquals(expected, y[i], "element " + i);
        }
    }

    @Test
    void everyValueIsTheNearestPointOfItsGroupsStoredGrid() {
        // The last pass rounds (x + dmin·m)/(d·sc) to 0..15 against the stored 6-bit scales and mins.
        for (double sigma : new double[] {1e-3, 1, 100}) {
            float[] x = gaussian(55, 256 * 8, sigma);
            x[100] = (float) (70 * sigma);
            x[1000] = (float) (-70 * sigma);
            for (int i = 1024; i < 1280; i++) x[i] += (float) (4 * sigma); // an all-positive super-block
            checkNearestOnAffineGrid(codec, x, 144, 15);
        }
    }

    /** Shared with Q5_K, which has the same d, dmin and scale fields at the same offsets. */
    static void checkNearestOnAffineGrid(BlockCodec codec, float[] x, int blockBytes, int qmax) {
        byte[] b = encode(codec, x);
        float[] y = decode(codec, b);
        for (int blk = 0; blk < x.length / 256; blk++) {
            byte[] block = java.util.Arrays.copyOfRange(b, blockBytes * blk, blockBytes * (blk + 1));
            float d = halfAt(block, 0), dmin = halfAt(block, 2);
            for (int g = 0; g < 8; g++) {
                int sc = PackedScales6.scale(block, 4, g), m = PackedScales6.min(block, 4, g);
                float[] grid = new float[qmax + 1];
                for (int l = 0; l <= qmax; l++) grid[l] = d * sc * l - dmin * m;
                for (int i = 256 * blk + 32 * g; i < 256 * blk + 32 * g + 32; i++)
                    assertNearestOnGrid(x[i], y[i], grid, 1e-5 * (Math.abs(x[i]) + d * sc + dmin * m), "element " + i);
            }
        }
    }
}
