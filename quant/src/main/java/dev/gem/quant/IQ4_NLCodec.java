package dev.gem.quant;

import dev.gem.tensor.DType;

/**
 * IQ4_NL: 32 values as d (fp16) and 16 bytes of 4-bit indices into {@link NonLinear4Bit#LEVELS}; value = d·level.
 * Nibble order as Q4_0.
 * <p>Quantizing follows llama-quantize (ggml's quantize_iq4_nl without an importance matrix, which searches 15 scales),
 * not quantize_row_iq4_nl_ref: that one searches no scales and leaves the quants of an all-zero block to whatever a
 * previous block left in its scratch buffer, so its output is not even deterministic.
 */
public final class IQ4_NLCodec extends BlockwiseCodec {
    static final int QK = DType.IQ4_NL.blockSize;

    public IQ4_NLCodec() {
        super(DType.IQ4_NL);
    }

    @Override
    void decodeBlock(byte[] b, float[] y, int o) {
        float d = half(b, 0);
        for (int j = 0; j < QK / 2; j++) {
            int q = u8(b, 2 + j);
            y[o + j] = d * NonLinear4Bit.LEVELS[q & 0xf];
            y[o + j + QK / 2] = d * NonLinear4Bit.LEVELS[q >>> 4];
        }
    }

    @Override
    void encodeBlock(float[] x, int o, byte[] b) {
        byte[] L = new byte[QK];
        NonLinear4Bit.quantize(x, o, QK, b, 0, null, L);
        NonLinear4Bit.pack(L, QK, b, 2);
    }
}
