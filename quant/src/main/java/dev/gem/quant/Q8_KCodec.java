package dev.gem.quant;

import dev.gem.tensor.DType;

import static dev.gem.quant.GgmlRounding.nearestInt;

/**
 * Q8_K: the activation format ggml pairs with K-quant weights. Layout: d (float32), qs[256] (signed bytes), bsums[16]
 * (int16 sums of each 16 quants, which let the K-quant dot products apply group mins without touching the quants).
 * value = q·d.
 */
public final class Q8_KCodec extends BlockwiseCodec {
    static final int QK = DType.Q8_K.blockSize;
    static final int D = 0, QS = 4, BSUMS = 260;

    public Q8_KCodec() {
        super(DType.Q8_K);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = Float.intBitsToFloat(i32(b, D));
        for (int j = 0; j < QK; j++) y[o + j] = d * b[QS + j];
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        float max = 0, amax = 0;
        for (int j = 0; j < QK; j++) {
            float ax = Math.abs(x[o + j]);
            if (ax > amax) {
                amax = ax;
                max = x[o + j];
            }
        }
        if (amax == 0) return; // d = 0, all quants 0: the block is already zero-filled
        // -127 rather than -128 keeps every quant within ±127, which ggml's IQ2 dot products rely on.
        float iscale = -127f / max;
        for (int j = 0; j < QK; j++) b[QS + j] = (byte) Math.min(127, nearestInt(iscale * x[o + j]));
        for (int j = 0; j < QK / 16; j++) {
            int sum = 0;
            for (int ii = 0; ii < 16; ii++) sum += b[QS + 16 * j + ii];
            putU16(b, BSUMS + 2 * j, sum);
        }
        putI32(b, D, Float.floatToRawIntBits(1 / iscale));
    }
}
