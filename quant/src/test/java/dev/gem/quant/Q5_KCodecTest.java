package dev.gem.quant;

import org.junit.jupiter.api.Test;

import static dev.gem.quant.CodecTesting.*;
import static org.junit.jupiter.api.Assertions.*;

class Q5_KCodecTest {
    final BlockCodec codec = new Q5_KCodec();

    @Test
    void decodesAHandBuiltBlock() {
        // Same d, dmin, scales and quant nibbles as Q4_KCodecTest's block; qh[0] = 0x81 adds 16 to element 0
        // (bit 0: group 0) and element 224 (bit 7: group 7).
        Block block = new Block().half(0.5f).half(0.125f).bytes(Q4_KCodecTest.SCALES_AND_MINS).bytes(0x81).repeat(31, 0);
        for (int i = 0; i < 128; i++) block.bytes(i == 33 ? 0xf0 : 0x21);
        float[] y = decode(codec, block.build());
        float[] perGroup = {0.5f, 1.75f, 1.0f, 3.25f, 1.5f, 4.75f, -2.75f, 38.25f};
        for (int i = 0; i < 256; i++) {
            float expected = switch (i) {
                case 0 -> 8.5f;       // 0.5·1·17 - 0
                case 224 -> 358.25f;  // 0.5·40·18 - 0.125·14
                case 65 -> -0.5f;
                case 97 -> 29.25f;
                default -> perGroup[i / 32];
            };
            assertEquals(expected, y[i], "element " + i);
        }
    }

    @Test
    void everyValueIsTheNearestPointOfItsGroupsStoredGrid() {
        for (double sigma : new double[] {1e-3, 1, 100}) {
            float[] x = gaussian(57, 256 * 8, sigma);
            x[300] = (float) (70 * sigma);
            x[1900] = (float) (-70 * sigma);
            for (int i = 512; i < 768; i++) x[i] -= (float) (4 * sigma); // an all-negative super-block
            Q4_KCodecTest.checkNearestOnAffineGrid(codec, x, 176, 31);
        }
    }
}
