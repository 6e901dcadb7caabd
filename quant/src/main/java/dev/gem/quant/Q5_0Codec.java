package dev.gem.quant;

import dev.gem.tensor.DType;

/**
 * Q5_0: 32 values as {@code d} (fp16), a 32-bit word {@code qh} of fifth bits (bit j for element j) and 16 bytes of low
 * nibbles ordered as Q4_0; value = (q - 16)·d.
 */
public final class Q5_0Codec extends BlockwiseCodec {
    static final int QK = DType.Q5_0.blockSize;

    public Q5_0Codec() {
        super(DType.Q5_0);
    }

    @Override
    void decodeBlock(byte[] b, float[] dst, int o) {
        float d = half(b, 0);
        int qh = i32(b, 2);
        for (int j = 0; j < QK / 2; j++) {
            int q = u8(b, 6 + j);
            int q0 = (q & 0x0f) | ((qh >>> j) & 1) << 4;
            int q1 = (q >>> 4) | ((qh >>> (j + QK / 2)) & 1) << 4;
            dst[o + j] = (q0 - 16) * d;
            dst[o + j + QK / 2] = (q1 - 16) * d;
        }
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        float amax = 0, max = 0;
        for (int j = 0; j < QK; j++) {
            float v = x[o + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -16;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(b, 0, d);
        int qh = 0;
        for (int j = 0; j < QK / 2; j++) {
            int q0 = quant(x[o + j] * id);
            int q1 = quant(x[o + j + QK / 2] * id);
            b[6 + j] = (byte) ((q0 & 0x0f) | (q1 & 0x0f) << 4);
            qh |= (q0 >>> 4 & 1) << j;
            qh |= (q1 >>> 4 & 1) << (j + QK / 2);
        }
        putI32(b, 2, qh);
    }

    private static int quant(float v) {
        return Math.min(31, (byte) GgmlRounding.truncate(v + 16.5f));
    }
}
