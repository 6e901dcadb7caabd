package dev.gem.quant;

import dev.gem.tensor.DType;

/**
 * IQ4_XS: super-blocks of 256 in 8 groups of 32 on the {@link NonLinear4Bit} grid. Layout: d (fp16), scales_h (u16:
 * top two bits of group scale g at bits 2g), scales_l[4] (low four bits: group 2k in the low nibble of byte k, 2k+1 in
 * the high), qs[128] (16 bytes per group, nibbles as IQ4_NL). value = d·(scale - 32)·level.
 */
public final class IQ4_XSCodec extends BlockwiseCodec {
    static final int QK = DType.IQ4_XS.blockSize;
    static final int D = 0, SCALES_H = 2, SCALES_L = 4, QS = 8;

    public IQ4_XSCodec() {
        super(DType.IQ4_XS);
    }

    static int groupScale(byte[] b, int g) {
        int low = (u8(b, SCALES_L + g / 2) >>> (4 * (g % 2))) & 0xf;
        int high = (u16(b, SCALES_H) >>> (2 * g)) & 3;
        return low | high << 4;
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = half(b, D);
        for (int g = 0; g < QK / 32; g++) {
            float dl = d * (groupScale(b, g) - 32);
            for (int j = 0; j < 16; j++) {
                int q = u8(b, QS + 16 * g + j);
                y[o + 32 * g + j] = dl * NonLinear4Bit.LEVELS[q & 0xf];
                y[o + 32 * g + j + 16] = dl * NonLinear4Bit.LEVELS[q >>> 4];
            }
        }
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        byte[] L = new byte[QK];
        int[] scales = new int[QK / 32];
        NonLinear4Bit.quantize(x, o, QK, b, D, scales, L);
        int high = 0;
        for (int g = 0; g < QK / 32; g++) {
            b[SCALES_L + g / 2] |= (byte) ((scales[g] & 0xf) << (4 * (g % 2)));
            high |= (scales[g] >>> 4) << (2 * g);
        }
        putU16(b, SCALES_H, high);
        NonLinear4Bit.pack(L, QK, b, QS);
    }
}
