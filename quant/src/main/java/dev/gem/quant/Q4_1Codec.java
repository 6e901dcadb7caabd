package dev.gem.quant;

import dev.gem.tensor.DType;

/**
 * Q4_1: 32 values as {@code d} and {@code m} (fp16 each) and 16 bytes of nibbles; value = q·d + m. Nibble order as
 * Q4_0 (low nibbles: elements 0..15, high nibbles: 16..31).
 */
public final class Q4_1Codec extends BlockwiseCodec {
    static final int QK = DType.Q4_1.blockSize;

    public Q4_1Codec() {
        super(DType.Q4_1);
    }

    @Override
    void decodeBlock(byte[] b, float[] dst, int o) {
        float d = half(b, 0);
        float m = half(b, 2);
        for (int j = 0; j < QK / 2; j++) {
            int q = u8(b, 4 + j);
            dst[o + j] = (q & 0x0f) * d + m;
            dst[o + j + QK / 2] = (q >>> 4) * d + m;
        }
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < QK; j++) {
            float v = x[o + j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float d = (max - min) / 15;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(b, 0, d);
        putHalf(b, 2, min);
        for (int j = 0; j < QK / 2; j++) {
            int lo = nibble((x[o + j] - min) * id);
            int hi = nibble((x[o + j + QK / 2] - min) * id);
            b[4 + j] = (byte) (lo | hi << 4);
        }
    }

    private static int nibble(float v) {
        return Math.min(15, (byte) GgmlRounding.truncate(v + 0.5f));
    }
}
