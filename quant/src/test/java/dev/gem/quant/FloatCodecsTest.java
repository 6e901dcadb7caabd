package dev.gem.quant;

import org.junit.jupiter.api.Test;

import static dev.gem.quant.CodecTesting.*;
import static org.junit.jupiter.api.Assertions.*;

class FloatCodecsTest {
    final BlockCodec f32 = new F32Codec(), f16 = new F16Codec(), bf16 = new BF16Codec();

    @Test
    void f16DecodesHandBuiltBits() {
        byte[] b = new Block().u16(0x3c00).u16(0xc000).u16(0x7bff).u16(0x0001).u16(0x7c00).u16(0x8000).u16(0x3555).build();
        float[] x = decode(f16, b);
        assertEquals(1f, x[0]);
        assertEquals(-2f, x[1]);
        assertEquals(65504f, x[2]);         // largest finite half
        assertEquals(0x1p-24f, x[3]);       // smallest subnormal
        assertEquals(Float.POSITIVE_INFINITY, x[4]);
        assertEquals(-0f, x[5]);
        assertEquals(0x1.554p-2f, x[6]);    // 0.333251953125
    }

    @Test
    void f16EncodesRoundingToNearestEven() {
        float[] x = {1 + 0x1p-11f, 1 + 3 * 0x1p-11f, 65519f, 65520f, 0x1p-25f, 0x1.8p-25f, -3.5f};
        byte[] expected = new Block()
                .u16(0x3c00)  // a tie between 1 and 1+2^-10 goes to the even mantissa: 1
                .u16(0x3c02)  // a tie between 1+2^-10 and 1+2^-9 goes to 1+2^-9
                .u16(0x7bff)  // still rounds down to 65504
                .u16(0x7c00)  // the tie to 65536 overflows to infinity
                .u16(0x0000)  // half the smallest subnormal: tie to even, zero
                .u16(0x0001)  // above the tie: the smallest subnormal
                .u16(0xc300)
                .build();
        assertArrayEquals(expected, encode(f16, x));
    }

    @Test
    void bf16DecodesAndEncodesHandComputedBits() {
        byte[] b = new Block().u16(0x3f80).u16(0xc0a0).u16(0x7f80).u16(0x0001).build();
        float[] x = decode(bf16, b);
        assertEquals(1f, x[0]);
        assertEquals(-5f, x[1]);
        assertEquals(Float.POSITIVE_INFINITY, x[2]);
        assertEquals(Float.intBitsToFloat(0x00010000), x[3]);
        float[] in = {1 + 0x1p-8f, 1 + 3 * 0x1p-8f, Float.NaN, -0f};
        // ties to even: 1 + 2^-8 -> 1, 1 + 3·2^-8 -> 1 + 2^-6; NaN stays a quiet NaN.
        assertArrayEquals(new Block().u16(0x3f80).u16(0x3f82).u16(0x7fc0).u16(0x8000).build(), encode(bf16, in));
    }

    @Test
    void roundTripRelativeErrorIsHalfAnUlpOfTheFormat() {
        // Round to nearest: relative error <= 2^-(p+1) for p stored mantissa bits, inside the normal range
        // (f16: p = 10, normal from 2^-14 to 65504; bf16: p = 7, float32's whole normal range).
        float[] x = gaussian(8, 4096, 100);
        float[] h = roundTrip(f16, x), b = roundTrip(bf16, x);
        for (int i = 0; i < x.length; i++) {
            if (Math.abs(x[i]) >= 0x1p-14f)
                assertTrue(Math.abs(h[i] - x[i]) <= Math.abs(x[i]) * 0x1p-11, "f16 element " + i);
            assertTrue(Math.abs(b[i] - x[i]) <= Math.abs(x[i]) * 0x1p-8, "bf16 element " + i);
        }
        assertSameFloats(x, roundTrip(f32, x), "f32");
    }
}
