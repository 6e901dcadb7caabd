package dev.gem.quant;

import org.junit.jupiter.api.Test;

import static dev.gem.quant.CodecTesting.*;
import static org.junit.jupiter.api.Assertions.*;

class Q8_1CodecTest {
    final BlockCodec codec = new Q8_1Codec();

    @Test
    void decodesAHandBuiltBlockIgnoringTheSum() {
        // d = 0.5, s = +inf (decoding must not use it), quants j - 16.
        Block block = new Block().half(0.5f).u16(0x7c00);
        for (int j = 0; j < 32; j++) block.bytes(j - 16);
        float[] x = decode(codec, block.build());
        for (int j = 0; j < 32; j++) assertEquals((j - 16) * 0.5f, x[j], "element " + j);
    }

    @Test
    void quantizesAHandComputedBlockWithItsSum() {
        // amax 127 -> d = 1; quants roundf(x) (ties away from zero); s = d·Σq = 127 - 1 + 3 - 3 + 2 = 128.
        float[] x = new float[32];
        float[] in = {127, -0.5f, 2.5f, -2.5f, 1.5f};
        System.arraycopy(in, 0, x, 0, in.length);
        byte[] expected = new Block().half(1f).half(128f).bytes(127, -1, 3, -3, 2).repeat(27, 0).build();
        assertArrayEquals(expected, encode(codec, x));
    }

    @Test
    void roundTripErrorIsAtMostHalfAStepAndTheSumMatches() {
        // Same grid as Q8_0: |error| <= d/2 + 127·|d' - d|. s is fp16(d·Σq), so |s - d'·Σq| <= half an fp16 ulp of s
        // plus |Σq|·|d' - d|.
        float[] x = gaussian(41, 32 * 64, 3);
        byte[] b = encode(codec, x);
        float[] y = decode(codec, b);
        for (int blk = 0; blk < 64; blk++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[32 * blk + j]));
            double d = amax / 127.0, stored = halfAt(b, 36 * blk);
            double bound = d * (0.5 + 127 * 0x1p-23) + 127 * Math.abs(stored - d);
            int sum = 0;
            for (int j = 0; j < 32; j++) {
                int i = 32 * blk + j;
                assertTrue(Math.abs(x[i] - y[i]) <= bound + Math.abs(x[i]) * 0x1p-23, "element " + i);
                sum += b[36 * blk + 4 + j];
            }
            double s = halfAt(b, 36 * blk + 2);
            assertEquals(stored * sum, s, halfRoundingBound((float) s) + Math.abs(sum) * Math.abs(stored - d) + 1e-6,
                    "block " + blk + " sum");
        }
    }
}
