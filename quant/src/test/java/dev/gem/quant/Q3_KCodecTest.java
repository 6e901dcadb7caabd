package dev.gem.quant;

import org.junit.jupiter.api.Test;

import static dev.gem.quant.CodecTesting.*;
import static org.junit.jupiter.api.Assertions.*;

class Q3_KCodecTest {
    final BlockCodec codec = new Q3_KCodec();

    @Test
    void decodesAHandBuiltBlock() {
        // Every 6-bit scale is 33 (scale +1): low nibbles 1 -> bytes 0..7 = 0x11; top bits 2 -> bytes 8..11 = 0xAA.
        // Group 5 instead gets 20 (scale -12): low nibble 4 (byte 5 = 0x14), top bits 01 at bits 2..3 of byte 9
        // (0b10100110 = 0xA6). d = 0.25.
        // All low bits 3 and all high bits set: q = 3, value = 0.25·scale·3, except:
        //   element 0: hmask[0] bit 0 clear -> q = 3 - 4 = -1
        //   element 85 (group 5): hmask[21] bit 2 clear -> q = -1
        //   element 200 (group 12): qs[40] bits 4..5 = 01 -> q = 1
        Block block = new Block();
        for (int i = 0; i < 32; i++) block.bytes(i == 0 ? 0xfe : i == 21 ? 0xfb : 0xff);
        for (int i = 0; i < 64; i++) block.bytes(i == 40 ? 0xdf : 0xff);
        block.bytes(0x11, 0x11, 0x11, 0x11, 0x11, 0x14, 0x11, 0x11, 0xaa, 0xa6, 0xaa, 0xaa).half(0.25f);
        float[] y = decode(codec, block.build());
        for (int i = 0; i < 256; i++) {
            float expected = switch (i) {
                case 0 -> -0.25f;
                case 85 -> 3f;    // 0.25·(-12)·(-1)
                case 200 -> 0.25f;
                default -> i / 16 == 5 ? -9f : 0.75f;
            };
            assertEquals(expected, y[i], "element " + i);
        }
    }

    @Test
    void everyValueIsTheNearestPointOfItsGroupsStoredGrid() {
        // The final pass rounds x/(d·scale) to the nearest integer in -4..3 against the stored scales, so each value is
        // the nearest of the eight points d·scale·l.
        for (double sigma : new double[] {1e-3, 1, 100}) {
            float[] x = gaussian(53, 256 * 8, sigma);
            x[900] = (float) (80 * sigma);
            x[1500] = (float) (-80 * sigma);
            byte[] b = encode(codec, x);
            float[] y = decode(codec, b);
            for (int blk = 0; blk < 8; blk++) {
                byte[] block = java.util.Arrays.copyOfRange(b, 110 * blk, 110 * blk + 110);
                float d = halfAt(block, 108);
                for (int g = 0; g < 16; g++) {
                    int scale = Q3_KCodec.scale(block, g);
                    float[] grid = new float[8];
                    for (int l = -4; l < 4; l++) grid[l + 4] = d * scale * l;
                    for (int i = 256 * blk + 16 * g; i < 256 * blk + 16 * g + 16; i++)
                        assertNearestOnGrid(x[i], y[i], grid, 1e-5 * (Math.abs(x[i]) + Math.abs(d * scale)), "element " + i);
                }
            }
        }
    }

    @Test
    void theLargestScaleUsesTheFullSixBitRange() {
        // The group with the largest |scale| is stored as -32 (d = -max_scale/32), so its biased scale is 0.
        float[] x = gaussian(54, 256, 1);
        x[37] = -40f;
        byte[] b = encode(codec, x);
        int mostNegative = 0;
        for (int g = 0; g < 16; g++) mostNegative = Math.min(mostNegative, Q3_KCodec.scale(b, g));
        assertEquals(-32, Q3_KCodec.scale(b, 2));
        assertEquals(-32, mostNegative);
        assertEquals(-40f, decode(codec, b)[37], 40 * 0.15); // the outlier survives within a fraction of its group step
    }
}
