package dev.gem.quant;

import dev.gem.tensor.DType;

/**
 * Q4_0: 32 values as {@code d} (fp16) and 16 bytes of nibbles; value = (q - 8)·d. Byte j holds element j in its low
 * nibble and element j+16 in its high nibble.
 */
public final class Q4_0Codec extends BlockwiseCodec {
    static final int QK = DType.Q4_0.blockSize;

    public Q4_0Codec() {
        super(DType.Q4_0);
    }

    @Override
    void decodeBlock(byte[] b, float[] dst, int o) {
        float d = half(b, 0);
        for (int j = 0; j < QK / 2; j++) {
            int q = u8(b, 2 + j);
            dst[o + j] = ((q & 0x0f) - 8) * d;
            dst[o + j + QK / 2] = ((q >>> 4) - 8) * d;
        }
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        // The signed value of largest magnitude becomes exactly -8 (d = max/-8), using the whole range -8..7 on the
        // side where the outlier is; the first such value wins ties, as in ggml.
        float amax = 0, max = 0;
        for (int j = 0; j < QK; j++) {
            float v = x[o + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(b, 0, d);
        for (int j = 0; j < QK / 2; j++) {
            int lo = nibble(x[o + j] * id);
            int hi = nibble(x[o + j + QK / 2] * id);
            b[2 + j] = (byte) (lo | hi << 4);
        }
    }

    /** ggml's {@code MIN(15, (int8_t)(v + 8.5f))}: truncation after adding 8.5 rounds half up. */
    private static int nibble(float v) {
        return Math.min(15, (byte) GgmlRounding.truncate(v + 8.5f));
    }
}
