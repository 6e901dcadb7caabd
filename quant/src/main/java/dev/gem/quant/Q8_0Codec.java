package dev.gem.quant;

import dev.gem.tensor.DType;

/**
 * Q8_0: 32 values as {@code d} (fp16) and 32 signed bytes; value = q·d.
 * ggml picks d = amax/127 so the largest magnitude maps to ±127; -128 is never produced.
 */
public final class Q8_0Codec extends BlockwiseCodec {
    static final int QK = DType.Q8_0.blockSize;

    public Q8_0Codec() {
        super(DType.Q8_0);
    }

    @Override
    void decodeBlock(byte[] b, float[] dst, int o) {
        float d = half(b, 0);
        for (int j = 0; j < QK; j++) dst[o + j] = b[2 + j] * d;
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        float amax = 0;
        for (int j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(x[o + j]));
        float d = amax / 127;
        // The quants are rounded against the float32 d, not the fp16 one that gets stored: ggml does the same.
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(b, 0, d);
        for (int j = 0; j < QK; j++) b[2 + j] = (byte) GgmlRounding.roundHalfAway(x[o + j] * id);
    }
}
