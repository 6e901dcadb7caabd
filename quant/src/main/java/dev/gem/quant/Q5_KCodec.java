package dev.gem.quant;

import dev.gem.tensor.DType;

/**
 * Q5_K: super-blocks of 256 in 8 groups of 32. Layout: d, dmin (fp16), 12 bytes of 6-bit scales and mins
 * ({@link PackedScales6}), qh[32] (fifth bits), qs[128] (low nibbles as Q4_K). value = d·scale·q - dmin·min, q in 0..31.
 * The fifth bit of element i is bit i/32 of qh[i % 32].
 */
public final class Q5_KCodec extends BlockwiseCodec {
    static final int QK = DType.Q5_K.blockSize;
    static final int D = 0, DMIN = 2, SCALES = 4, QH = 16, QS = 48;

    public Q5_KCodec() {
        super(DType.Q5_K);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = half(b, D), dmin = half(b, DMIN);
        for (int i = 0; i < QK; i++) {
            int g = i / 32;
            float dl = d * PackedScales6.scale(b, SCALES, g);
            float ml = dmin * PackedScales6.min(b, SCALES, g);
            int q = u8(b, QS + 32 * (i / 64) + i % 32);
            q = g % 2 == 0 ? q & 0xf : q >>> 4;
            q += (u8(b, QH + i % 32) >>> g & 1) << 4;
            y[o + i] = dl * q - ml;
        }
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        byte[] L = new byte[QK];
        KQuantAffine.quantizeScalesAndMins(x, o, b, D, DMIN, SCALES, L, 31, -0.5f, 0.1f, 15);
        for (int i = 0; i < QK; i++) b[QH + i % 32] |= (byte) ((L[i] >>> 4) << (i / 32));
        for (int c = 0; c < QK / 64; c++)
            for (int l = 0; l < 32; l++)
                b[QS + 32 * c + l] = (byte) ((L[64 * c + l] & 0xf) | (L[64 * c + 32 + l] & 0xf) << 4);
    }
}
