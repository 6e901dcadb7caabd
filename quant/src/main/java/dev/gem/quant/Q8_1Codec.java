package dev.gem.quant;

import dev.gem.tensor.DType;

/**
 * Q8_1: Q8_0 plus the block's sum. Layout: d (fp16), s (fp16) = d·Σq, qs[32]. value = q·d. ggml builds it from
 * activations only, to dot them with Q4_1/Q5_1 weights, whose min term needs Σx ≈ s; decoding ignores s.
 */
public final class Q8_1Codec extends BlockwiseCodec {
    static final int QK = DType.Q8_1.blockSize;

    public Q8_1Codec() {
        super(DType.Q8_1);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = half(b, 0);
        for (int j = 0; j < QK; j++) y[o + j] = b[4 + j] * d;
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        float amax = 0;
        for (int j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(x[o + j]));
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(b, 0, d);
        int sum = 0;
        for (int j = 0; j < QK; j++) {
            int q = GgmlRounding.roundHalfAway(x[o + j] * id);
            b[4 + j] = (byte) q;
            sum += q;
        }
        // The sum uses the float32 d, not the fp16 one stored above: as in ggml.
        putHalf(b, 2, sum * d);
    }
}
