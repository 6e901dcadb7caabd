package dev.gem.quant;

import org.junit.jupiter.api.Test;

import static dev.gem.quant.CodecTesting.*;
import static org.junit.jupiter.api.Assertions.*;

class Q6_KCodecTest {
    final BlockCodec codec = new Q6_KCodec();

    @Test
    void decodesAHandBuiltBlock() {
        // d = 0.5, group scales j - 8 (so negative, zero and positive). All nibbles and top bits 0 (q = -32:
        // value -16·scale), except:
        //   element 0:   ql[0] low nibble 5, qh[0] bits 0..1 = 2  -> q = 37 - 32 = 5,  scale -8: -20
        //   element 32:  ql[32] low nibble 0, qh[0] bits 2..3 = 0 -> q = -32,        scale -6: 96
        //   element 96:  ql[32] high nibble 15, qh[0] bits 6..7 = 3 -> q = 31,        scale -2: -31
        //   element 200: ql[72] high nibble 7, qh[40] bits 4..5 = 1 -> q = 23 - 32 = -9, scale 4: -18
        byte[] ql = new byte[128], qh = new byte[64];
        ql[0] = 0x05;
        ql[32] = (byte) 0xf0;
        qh[0] = (byte) 0xc2;
        ql[72] = 0x70;
        qh[40] = 0x10;
        Block block = new Block();
        for (byte v : ql) block.bytes(v);
        for (byte v : qh) block.bytes(v);
        for (int j = 0; j < 16; j++) block.bytes(j - 8);
        float[] y = decode(codec, block.half(0.5f).build());
        for (int i = 0; i < 256; i++) {
            float expected = switch (i) {
                case 0 -> -20f;
                case 96 -> -31f;
                case 200 -> -18f;
                default -> -16f * (i / 16 - 8);
            };
            assertEquals(expected, y[i], "element " + i);
        }
        assertEquals(96f, y[32]);
    }

    @Test
    void everyValueIsTheNearestPointOfItsGroupsStoredGrid() {
        // The last pass rounds x/(d·sc) to -32..31 against the stored scales.
        for (double sigma : new double[] {1e-3, 1, 100}) {
            float[] x = gaussian(59, 256 * 8, sigma);
            x[10] = (float) (90 * sigma);
            x[1200] = (float) (-90 * sigma);
            byte[] b = encode(codec, x);
            float[] y = decode(codec, b);
            for (int blk = 0; blk < 8; blk++) {
                int base = 210 * blk;
                float d = halfAt(b, base + 208);
                for (int g = 0; g < 16; g++) {
                    int sc = b[base + 192 + g];
                    float[] grid = new float[64];
                    for (int l = -32; l < 32; l++) grid[l + 32] = d * sc * l;
                    for (int i = 256 * blk + 16 * g; i < 256 * blk + 16 * g + 16; i++)
                        assertNearestOnGrid(x[i], y[i], grid, 1e-5 * (Math.abs(x[i]) + Math.abs(d * sc)), "element " + i);
                }
            }
        }
    }

    @Test
    void theLargestScaleIsStoredAsMinus128() {
        // d = -max_scale/128: the group holding the largest |scale| gets the int8 scale -128 (never +128).
        float[] x = gaussian(60, 256, 1);
        x[77] = 25f;
        byte[] b = encode(codec, x);
        assertEquals(-128, b[192 + 77 / 16]);
        assertEquals(25f, decode(codec, b)[77], 25 * 0.02);
    }

    @Test
    void tinySuperBlockIsAllZeroBytes() {
        // Every group below ggml's GROUP_MAX_EPS (1e-15): the whole block is zeroed.
        float[] x = gaussian(61, 256, 1e-17);
        assertArrayEquals(new byte[210], encode(codec, x));
    }
}
