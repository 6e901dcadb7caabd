package dev.gem.quant;

import dev.gem.tensor.DType;

import static dev.gem.quant.GgmlRounding.nearestInt;

/**
 * Q2_K: super-blocks of 256 in 16 groups of 16. Layout: scales[16] (low nibble: group scale, high nibble: group min),
 * qs[64] (2-bit quants), d and dmin (fp16). value = d·scale·q - dmin·min.
 * Quant bytes: for each half h of 128 values, byte 32·h + l holds elements 128·h + 32·s + l at bits 2s..2s+1.
 */
public final class Q2_KCodec extends BlockwiseCodec {
    static final int QK = DType.Q2_K.blockSize;
    static final int SCALES = 0, QS = 16, D = 80, DMIN = 82;

    public Q2_KCodec() {
        super(DType.Q2_K);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = half(b, D), dmin = half(b, DMIN);
        for (int i = 0; i < QK; i++) {
            int sc = u8(b, SCALES + i / 16);
            float dl = d * (sc & 0xf), ml = dmin * (sc >>> 4);
            int q = (u8(b, QS + 32 * (i / 128) + i % 32) >>> (2 * (i % 128 / 32))) & 3;
            y[o + i] = dl * q - ml;
        }
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        byte[] L = new byte[QK];
        byte[] Laux = new byte[16];
        float[] weights = new float[16];
        float[] scales = new float[QK / 16], mins = new float[QK / 16];
        final float q4scale = 15f;

        // Mins are subtracted, so group scales and mins are both non-negative and quantize to 4 bits each against
        // the largest of them.
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < QK / 16; j++) {
            for (int l = 0; l < 16; l++) weights[l] = Math.abs(x[o + 16 * j + l]);
            scales[j] = ScaleSearch.affine(16, 3, x, o + 16 * j, weights, L, 16 * j, mins, j, Laux, -0.5f, 0.1f, 15, true);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        if (maxScale > 0) {
            float iscale = q4scale / maxScale;
            for (int j = 0; j < QK / 16; j++) b[SCALES + j] = (byte) nearestInt(iscale * scales[j]);
            putHalf(b, D, maxScale / q4scale);
        } else {
            putHalf(b, D, 0f);
        }
        if (maxMin > 0) {
            float iscale = q4scale / maxMin;
            for (int j = 0; j < QK / 16; j++) b[SCALES + j] |= (byte) (nearestInt(iscale * mins[j]) << 4);
            putHalf(b, DMIN, maxMin / q4scale);
        } else {
            putHalf(b, DMIN, 0f);
        }
        // Requantize against the scales as stored, so rounding of the 4-bit scales is compensated where possible.
        float dStored = half(b, D), dminStored = half(b, DMIN);
        for (int j = 0; j < QK / 16; j++) {
            int sc = u8(b, SCALES + j);
            float d = dStored * (sc & 0xf);
            if (d == 0) continue;
            float dm = dminStored * (sc >>> 4);
            for (int ii = 0; ii < 16; ii++)
                L[16 * j + ii] = (byte) ScaleSearch.clamp(nearestInt((x[o + 16 * j + ii] + dm) / d), 0, 3);
        }
        for (int h = 0; h < 2; h++)
            for (int l = 0; l < 32; l++) {
                int base = 128 * h + l;
                b[QS + 32 * h + l] = (byte) (L[base] | L[base + 32] << 2 | L[base + 64] << 4 | L[base + 96] << 6);
            }
    }
}
