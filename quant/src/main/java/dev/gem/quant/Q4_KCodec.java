package dev.gem.quant;

import dev.gem.tensor.DType;

import static dev.gem.quant.GgmlRounding.nearestInt;

/**
 * Q4_K: super-blocks of 256 in 8 groups of 32. Layout: d, dmin (fp16), 12 bytes of 6-bit scales and mins
 * ({@link PackedScales6}), qs[128]. value = d·scale·q - dmin·min with q in 0..15.
 * Each 64 values share 32 bytes: the first 32 in the low nibbles, the next 32 in the high nibbles.
 */
public final class Q4_KCodec extends BlockwiseCodec {
    static final int QK = DType.Q4_K.blockSize;
    static final int D = 0, DMIN = 2, SCALES = 4, QS = 16;

    public Q4_KCodec() {
        super(DType.Q4_K);
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
            y[o + i] = dl * q - ml;
        }
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        byte[] L = new byte[QK];
        KQuantAffine.quantizeScalesAndMins(x, o, b, D, DMIN, SCALES, L, 15, -1f, 0.1f, 20);
        for (int c = 0; c < QK / 64; c++)
            for (int l = 0; l < 32; l++) b[QS + 32 * c + l] = (byte) (L[64 * c + l] | L[64 * c + 32 + l] << 4);
    }
}
