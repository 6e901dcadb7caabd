package dev.gem.quant;

import dev.gem.tensor.DType;

import java.util.Arrays;

import static dev.gem.quant.GgmlRounding.nearestInt;

/**
 * Q6_K: super-blocks of 256 in 16 groups of 16, symmetric 6-bit quants. Layout: ql[128] (low nibbles), qh[64] (top two
 * bits), scales[16] (signed bytes), d (fp16). value = d·scale·(q - 32).
 * Each half h of 128 values uses ql[64h ..] and qh[32h ..]: element 128h + 32s + l (s = 0..3, l = 0..31) has its low
 * nibble in ql[64h + l + 32·(s % 2)] (low nibble for s < 2, high after) and its top bits at bits 2s of qh[32h + l].
 */
public final class Q6_KCodec extends BlockwiseCodec {
    static final int QK = DType.Q6_K.blockSize;
    static final int QL = 0, QH = 128, SCALES = 192, D = 208;

    public Q6_KCodec() {
        super(DType.Q6_K);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = half(b, D);
        for (int i = 0; i < QK; i++) {
            int h = i / 128, s = i % 128 / 32, l = i % 32;
            int low = u8(b, QL + 64 * h + l + 32 * (s % 2));
            low = s < 2 ? low & 0xf : low >>> 4;
            int high = (u8(b, QH + 32 * h + l) >>> (2 * s)) & 3;
            // ggml multiplies d by the scale first, then by the quant; the order matters for the last bit.
            y[o + i] = d * b[SCALES + i / 16] * ((low | high << 4) - 32);
        }
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        byte[] L = new byte[QK];
        float[] scales = new float[QK / 16];

        float maxScale = 0, maxAbsScale = 0;
        for (int j = 0; j < QK / 16; j++) {
            scales[j] = ScaleSearch.symmetric(16, 32, x, o + 16 * j, L, 16 * j);
            float abs = Math.abs(scales[j]);
            if (abs > maxAbsScale) {
                maxAbsScale = abs;
                maxScale = scales[j];
            }
        }
        if (maxAbsScale < ScaleSearch.GROUP_MAX_EPS) {
            Arrays.fill(b, (byte) 0);
            return;
        }
        float iscale = -128f / maxScale;
        putHalf(b, D, 1 / iscale);
        for (int j = 0; j < QK / 16; j++) b[SCALES + j] = (byte) Math.min(127, nearestInt(iscale * scales[j]));

        float dStored = half(b, D);
        for (int j = 0; j < QK / 16; j++) {
            float d = dStored * b[SCALES + j];
            if (d == 0) continue;
            for (int ii = 0; ii < 16; ii++)
                L[16 * j + ii] = (byte) (ScaleSearch.clamp(nearestInt(x[o + 16 * j + ii] / d), -32, 31) + 32);
        }
        for (int h = 0; h < 2; h++)
            for (int l = 0; l < 32; l++) {
                int base = 128 * h + l;
                int q1 = L[base], q2 = L[base + 32], q3 = L[base + 64], q4 = L[base + 96];
                b[QL + 64 * h + l] = (byte) ((q1 & 0xf) | (q3 & 0xf) << 4);
                b[QL + 64 * h + l + 32] = (byte) ((q2 & 0xf) | (q4 & 0xf) << 4);
                b[QH + 32 * h + l] = (byte) (q1 >>> 4 | (q2 >>> 4) << 2 | (q3 >>> 4) << 4 | (q4 >>> 4) << 6);
            }
    }
}
