package dev.gem.quant;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static dev.gem.quant.CodecTesting.*;
import static org.junit.jupiter.api.Assertions.*;

class Q8_0CodecTest {
    final BlockCodec codec = new Q8_0Codec();

    @Test
    void decodesAHandBuiltBlock() {
        // d = 0.25; quants j - 16 for j = 0..31, so the block covers -16..15 quarter steps.
        Block block = new Block().half(0.25f);
        for (int j = 0; j < 32; j++) block.bytes(j - 16);
        byte[] b = block.build();
        b[2 + 31] = (byte) -128; // never produced by the quantizer, but a valid stored value
        float[] x = decode(codec, b);
        for (int j = 0; j < 31; j++) assertEquals((j - 16) * 0.25f, x[j], "element " + j);
        assertEquals(-32f, x[31]);
    }

    @Test
    void quantizesAHandComputedBlockRoundingTiesAwayFromZero() {
        // amax 127 gives d = 1 exactly, so each quant is roundf(x): ties go away from zero (2.5 -> 3, -0.5 -> -1),
        // where round-half-even would give 2 and 0.
        float[] x = new float[32];
        float[] in = {127, -0.5f, 0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 0.49999997f, -126.5f, 3.4f};
        System.arraycopy(in, 0, x, 0, in.length);
        byte[] expected = new Block().half(1f).bytes(127, -1, 1, 2, -2, 3, -3, 0, -127, 3).repeat(22, 0).build();
        assertArrayEquals(expected, encode(codec, x));
    }

    @Test
    void roundTripErrorIsAtMostHalfAStep() {
        // q = roundf(x/d) with d = amax/127, so |x - q·d| <= d/2; the stored scale is fp16(d), which moves each decoded
        // value by at most |q|·|d' - d| <= 127·|d' - d|. Float rounding of x·(1/d) adds at most 127·2^-23 of a step.
        for (double sigma : new double[] {1e-4, 0.02, 1, 300}) {
            float[] x = gaussian(7, 32 * 64, sigma);
            x[100] = (float) (-40 * sigma); // a negative maximum in one block
            byte[] b = encode(codec, x);
            float[] y = decode(codec, b);
            for (int blk = 0; blk < x.length / 32; blk++) {
                float amax = 0;
                for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[32 * blk + j]));
                double d = amax / 127.0, stored = halfAt(b, 34 * blk);
                double bound = d * (0.5 + 127 * 0x1p-23) + 127 * Math.abs(stored - d);
                for (int j = 0; j < 32; j++) {
                    int i = 32 * blk + j;
                    assertTrue(Math.abs(x[i] - y[i]) <= bound + Math.abs(x[i]) * 0x1p-23,
                            "sigma " + sigma + " element " + i + ": " + x[i] + " -> " + y[i] + ", bound " + bound);
                }
            }
        }
    }

    @Test
    void theLargestMagnitudeMapsToPlusOrMinus127() {
        float[] x = gaussian(3, 32, 0.1);
        x[9] = -50f; // one huge negative value
        byte[] b = encode(codec, x);
        assertEquals(-127, b[2 + 9]);
        float d = halfAt(b, 0);
        assertEquals(Float.floatToFloat16(50f / 127), Float.floatToFloat16(d));
        assertEquals(-127 * d, decode(codec, b)[9]);
        // Everything else is below half a step (d ≈ 0.39), so it quantizes to 0.
        for (int j = 0; j < 32; j++) if (j != 9 && Math.abs(x[j]) < d / 2) assertEquals(0, b[2 + j], "element " + j);
    }

    @Test
    void zeroBlockIsAllZeroBytes() {
        byte[] b = encode(codec, new float[64]);
        assertArrayEquals(new byte[68], b);
        float[] y = decode(codec, b);
        for (float v : y) assertEquals(0, Float.floatToRawIntBits(v), "+0.0 expected");
    }

    @Test
    void neverProducesMinus128() {
        float[] x = gaussian(11, 32 * 100, 1);
        byte[] b = encode(codec, x);
        for (int blk = 0; blk < 100; blk++)
            for (int j = 0; j < 32; j++) assertNotEquals(-128, b[34 * blk + 2 + j]);
        assertAllFinite(decode(codec, b), "decoded");
    }

    @Test
    void eachBlockIsIndependent() {
        // Row quantization = concatenation of single-block quantizations.
        float[] x = gaussian(5, 32 * 8, 2);
        byte[] whole = encode(codec, x);
        for (int blk = 0; blk < 8; blk++) {
            byte[] one = encode(codec, Arrays.copyOfRange(x, 32 * blk, 32 * blk + 32));
            assertArrayEquals(one, Arrays.copyOfRange(whole, 34 * blk, 34 * blk + 34), "block " + blk);
        }
    }
}
