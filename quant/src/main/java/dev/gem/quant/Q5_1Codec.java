package dev.gem.quant;

import dev.gem.tensor.DType;

/**
 * Q5_1: 32 values as {@code d}, {@code m} (fp16 each), fifth bits {@code qh} and low nibbles laid out as Q5_0;
 * value = q·d + m.
 */
public final class Q5_1Codec extends BlockwiseCodec {
    static final int QK = DType.Q5_1.blockSize;

    public Q5_1Codec() {
        super(DType.Q5_1);
    }

    @Override
    void decodeBlock(byte[] b, float[] dst, int o) {
        float d = half(b, 0);
        float m = half(b, 2);
        int qh = i32(b, 4);
        for (int j = 0; j < QK / 2; j++) {
            int q = u8(b, 8 + j);
            int q0 = (q & 0x0f) | ((qh >>> j) & 1) << 4;
            int q1 = (q >>> 4) | ((qh >>> (j + QK / 2)) & 1) << 4;
            dst[o + j] = q0 * d + m;
            dst[o + j + QK / 2] = q1 * d + m;
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
        float d = (max - min) / 31;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(b, 0, d);
        putHalf(b, 2, min);
        int qh = 0;
        for (int j = 0; j < QK / 2; j++) {
            // Unlike Q4_1 ggml does not clamp here; (max - min)·id + 0.5 stays below 32, so no quant can overflow.
            int q0 = GgmlRounding.truncate((x[o + j] - min) * id + 0.5f) & 0xff;
            int q1 = GgmlRounding.truncate((x[o + j + QK / 2] - min) * id + 0.5f) & 0xff;
            b[8 + j] = (byte) ((q0 & 0x0f) | (q1 & 0x0f) << 4);
            qh |= (q0 >>> 4 & 1) << j;
            qh |= (q1 >>> 4 & 1) << (j + QK / 2);
        }
        putI32(b, 4, qh);
    }
}
