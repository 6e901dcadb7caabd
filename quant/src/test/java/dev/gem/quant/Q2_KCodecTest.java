package dev.gem.quant;

import org.junit.jupiter.api.Test;

import static dev.gem.quant.CodecTesting.*;
import static org.junit.jupiter.api.Assertions.*;

class Q2_KCodecTest {
    final BlockCodec codec = new Q2_KCodec();

    @Test
    void decodesAHandBuiltBlock() {
        // Group j: scale j (low nibble), min 15 - j (high nibble); d = 0.5, dmin = 0.25.
        // qs[0] = 0b11_10_01_00 gives elements 0, 32, 64, 96 the quants 0, 1, 2, 3;
        // qs[32] = 0b00_01_10_11 gives elements 128, 160, 192, 224 the quants 3, 2, 1, 0. All other quants are 0.
        Block block = new Block();
        for (int j = 0; j < 16; j++) block.bytes(j | (15 - j) << 4);
        block.bytes(0xe4).repeat(31, 0).bytes(0x1b).repeat(31, 0).half(0.5f).half(0.25f);
        float[] y = decode(codec, block.build());
        assertEquals(0 - 0.25f * 15, y[0]);          // group 0: scale 0
        assertEquals(0.5f * 2 * 1 - 0.25f * 13, y[32]);  // group 2: -2.25
        assertEquals(0.5f * 4 * 2 - 0.25f * 11, y[64]);  // group 4: 1.25
        assertEquals(0.5f * 6 * 3 - 0.25f * 9, y[96]);   // group 6: 6.75
        assertEquals(0.5f * 8 * 3 - 0.25f * 7, y[128]);  // group 8: 10.25
        assertEquals(0.5f * 10 * 2 - 0.25f * 5, y[160]); // group 10: 8.75
        assertEquals(0.5f * 12 * 1 - 0.25f * 3, y[192]); // group 12: 5.25
        assertEquals(-0.25f, y[224]);                    // group 14, quant 0: -dmin·1
        for (int i = 0; i < 256; i++)
            if (i % 32 != 0) assertEquals(-0.25f * (15 - i / 16), y[i], 0f, "element " + i); // 0 - 0 is +0
    }

    @Test
    void everyValueIsTheNearestPointOfItsGroupsStoredGrid() {
        // After fitting, ggml re-rounds every value against the scales as stored: (x + dmin·m)/(d·sc), clamped to
        // 0..3. So each decoded value is the nearest of the four points d·sc·l - dmin·m of its group, whatever the
        // scale search chose.
        for (double sigma : new double[] {1e-3, 1, 100}) {
            float[] x = gaussian(51, 256 * 8, sigma);
            x[700] = (float) (60 * sigma);   // one huge value
            x[1300] = (float) (-60 * sigma); // a huge negative extreme
            checkNearest(x);
        }
        float[] positive = gaussian(52, 256, 1);
        for (int i = 0; i < 256; i++) positive[i] = Math.abs(positive[i]) + 2; // min > 0: grids start at -dmin·m <= 0
        checkNearest(positive);
    }

    private void checkNearest(float[] x) {
        byte[] b = encode(codec, x);
        float[] y = decode(codec, b);
        for (int blk = 0; blk < x.length / 256; blk++) {
            int base = 84 * blk;
            float d = halfAt(b, base + 80), dmin = halfAt(b, base + 82);
            for (int g = 0; g < 16; g++) {
                int sc = b[base + g] & 0xf, m = (b[base + g] & 0xff) >>> 4;
                float[] grid = new float[4];
                for (int l = 0; l < 4; l++) grid[l] = d * sc * l - dmin * m;
                for (int i = 256 * blk + 16 * g; i < 256 * blk + 16 * g + 16; i++)
                    assertNearestOnGrid(x[i], y[i], grid, 1e-5 * (Math.abs(x[i]) + d * sc + dmin * m), "element " + i);
            }
        }
    }
}
