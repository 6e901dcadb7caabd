package dev.gem.quant;

import dev.gem.tensor.DType;

import static dev.gem.quant.GgmlRounding.nearestInt;

/**
 * Q3_K: super-blocks of 256 in 16 groups of 16, symmetric 3-bit quants. Layout: hmask[32] (third bits), qs[64] (low two
 * bits, packed as Q2_K), scales[12] (sixteen 6-bit signed scales biased by 32), d (fp16).
 * value = d·(scale - 32)·(q - 4) where q = low two bits + 4·(third bit).
 * The third bit of element i is bit i/32 of hmask[i % 32]. Scale j: low four bits in scales[j % 8] (low nibble for
 * j < 8, high nibble after), top two bits at bits 2·(j/4) of scales[8 + j % 4].
 */
public final class Q3_KCodec extends BlockwiseCodec {
    static final int QK = DType.Q3_K.blockSize;
    static final int HMASK = 0, QS = 32, SCALES = 96, D = 108;

    public Q3_KCodec() {
        super(DType.Q3_K);
    }

    /** Scale j (0..15) of the block at b[0], unbiased: -32..31. */
    public static int scale(byte[] b, int j) {
        int low = j < 8 ? u8(b, SCALES + j) & 0xf : u8(b, SCALES + j - 8) >>> 4;
        int high = (u8(b, SCALES + 8 + j % 4) >>> (2 * (j / 4))) & 3;
        return (low | high << 4) - 32;
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = half(b, D);
        for (int i = 0; i < QK; i++) {
            float dl = d * scale(b, i / 16);
            int low = (u8(b, QS + 32 * (i / 128) + i % 32) >>> (2 * (i % 128 / 32))) & 3;
            boolean high = (u8(b, HMASK + i % 32) >>> (i / 32) & 1) != 0;
            y[o + i] = dl * (low - (high ? 0 : 4));
        }
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        byte[] L = new byte[QK];
        float[] scales = new float[QK / 16];

        float maxScale = 0, amax = 0;
        for (int j = 0; j < QK / 16; j++) {
            scales[j] = ScaleSearch.symmetricRefined(16, 4, x, o + 16 * j, L, 16 * j);
            float abs = Math.abs(scales[j]);
            if (abs > amax) {
                amax = abs;
                maxScale = scales[j];
            }
        }
        if (maxScale != 0) {
            float iscale = -32f / maxScale;
            for (int j = 0; j < QK / 16; j++) {
                int l = ScaleSearch.clamp((byte) nearestInt(iscale * scales[j]), -32, 31) + 32;
                if (j < 8) b[SCALES + j] = (byte) (l & 0xf);
                else b[SCALES + j - 8] |= (byte) ((l & 0xf) << 4);
                b[SCALES + 8 + j % 4] |= (byte) ((l >>> 4) << (2 * (j / 4)));
            }
            putHalf(b, D, 1 / iscale);
        } else {
            putHalf(b, D, 0f);
        }
        // Requantize against the 6-bit scales as stored. A group whose stored scale is 0 keeps the search's quants.
        float dStored = half(b, D);
        for (int j = 0; j < QK / 16; j++) {
            float d = dStored * scale(b, j);
            if (d == 0) continue;
            for (int ii = 0; ii < 16; ii++)
                L[16 * j + ii] = (byte) (ScaleSearch.clamp(nearestInt(x[o + 16 * j + ii] / d), -4, 3) + 4);
        }
        for (int i = 0; i < QK; i++) {
            if (L[i] > 3) {
                b[HMASK + i % 32] |= (byte) (1 << (i / 32));
                L[i] -= 4;
            }
        }
        for (int h = 0; h < 2; h++)
            for (int l = 0; l < 32; l++) {
                int base = 128 * h + l;
                b[QS + 32 * h + l] = (byte) (L[base] | L[base + 32] << 2 | L[base + 64] << 4 | L[base + 96] << 6);
            }
    }
}
