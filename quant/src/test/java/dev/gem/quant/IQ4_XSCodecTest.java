package dev.gem.quant;

import org.junit.jupiter.api.Test;

import static dev.gem.quant.CodecTesting.*;
import static org.junit.jupiter.api.Assertions.*;

class IQ4_XSCodecTest {
    final BlockCodec codec = new IQ4_XSCodec();

    @Test
    void decodesAHandBuiltBlock() {
        // d = 0.25; group g has biased scale 29 + g (scale g - 3). Low nibbles: 13, 14, 15, 0, 1, 2, 3, 4 ->
        // scales_l = 0xED, 0x0F, 0x21, 0x43; top bits 1, 1, 1, 2, 2, 2, 2, 2 -> scales_h = 0b1010101010_010101 = 0xAA95.
        // Every group's 16 bytes: byte j = j | (15 - j) << 4.
        Block block = new Block().half(0.25f).u16(0xaa95).bytes(0xed, 0x0f, 0x21, 0x43);
        for (int g = 0; g < 8; g++)
            for (int j = 0; j < 16; j++) block.bytes(j | (15 - j) << 4);
        byte[] b = block.build();
        for (int g = 0; g < 8; g++) assertEquals(29 + g, IQ4_XSCodec.groupScale(b, g), "group " + g);
        float[] y = decode(codec, b);
        for (int g = 0; g < 8; g++)
            for (int j = 0; j < 16; j++) {
                assertEquals(0.25f * (g - 3) * NonLinear4Bit.LEVELS[j], y[32 * g + j], "element " + (32 * g + j));
                assertEquals(0.25f * (g - 3) * NonLinear4Bit.LEVELS[15 - j], y[32 * g + 16 + j]);
            }
    }

    @Test
    void valuesOnTheGridAreReproducedExactly() {
        // Group g holds 0.5·(g+1)·level: its own scale is found exactly; the super-block scale is -4/32 = -0.125
        // and group g stores l = -4·(g+1), biased 28 - 4g, so d·l = 0.5·(g+1) exactly again.
        float[] x = new float[256];
        for (int i = 0; i < 256; i++) x[i] = 0.5f * (i / 32 + 1) * NonLinear4Bit.LEVELS[i % 16];
        byte[] b = encode(codec, x);
        assertEquals(-0.125f, halfAt(b, 0));
        for (int g = 0; g < 8; g++) assertEquals(28 - 4 * g, IQ4_XSCodec.groupScale(b, g), "group " + g);
        for (int i = 0; i < 128; i++) assertEquals((i % 16) | (i % 16) << 4, b[8 + i] & 0xff, "quant byte " + i);
        assertSameFloats(x, decode(codec, b), "round trip");
    }

    @Test
    void everyValueIsNearlyTheNearestLevelOfItsStoredGroupScale() {
        // Indices are chosen against the float32 group scale d·l and decoded with fp16(d)·l: the decoded value is off
        // the nearest stored-grid point by at most 2·127·|l|·|d - d'|.
        for (double sigma : new double[] {1e-3, 1, 100}) {
            float[] x = gaussian(65, 256 * 8, sigma);
            x[40] = (float) (50 * sigma);
            x[1111] = (float) (-50 * sigma);
            byte[] b = encode(codec, x);
            float[] y = decode(codec, b);
            for (int blk = 0; blk < 8; blk++) {
                byte[] block = java.util.Arrays.copyOfRange(b, 136 * blk, 136 * blk + 136);
                float d = halfAt(block, 0);
                for (int g = 0; g < 8; g++) {
                    int l = IQ4_XSCodec.groupScale(block, g) - 32;
                    float[] grid = new float[16];
                    for (int k = 0; k < 16; k++) grid[k] = d * l * NonLinear4Bit.LEVELS[k];
                    double slack = 2 * 127 * Math.abs(l) * halfRoundingBound(d) + 1e-5 * Math.abs(d * l) * 127;
                    for (int i = 256 * blk + 32 * g; i < 256 * blk + 32 * g + 32; i++)
                        assertNearestOnGrid(x[i], y[i], grid, slack, "element " + i);
                }
            }
        }
    }
}
