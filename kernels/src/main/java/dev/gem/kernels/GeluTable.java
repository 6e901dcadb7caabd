package dev.gem.kernels;

/**
 * GELU (tanh approximation) through a 65536-entry table indexed by the input's fp16 bits, with fp16 results: the
 * numerics of ggml's CPU backend, so GEM's Gemma and BERT logits agree with llama.cpp's to 1e-4 instead of 1e-3.
 * Outside (-10, 10) GELU is 0 or the identity to within float precision, as ggml also assumes.
 */
final class GeluTable {
    private static final float[] TABLE = new float[1 << 16];

    static {
        for (int i = 0; i < TABLE.length; i++) {
            float x = Float.float16ToFloat((short) i);
            TABLE[i] = Float.float16ToFloat(Float.floatToFloat16(exact(x)));
        }
    }

    private GeluTable() {}

    static float gelu(float x) {
        if (x <= -10f) return 0f;
        if (x >= 10f) return x;
        return TABLE[Float.floatToFloat16(x) & 0xffff];
    }

    /** 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), in float like ggml_gelu_f32. */
    static float exact(float x) {
        final float sqrt2OverPi = 0.79788456080286535587989211986876f;
        return 0.5f * x * (1f + (float) Math.tanh(sqrt2OverPi * x * (1f + 0.044715f * x * x)));
    }
}
