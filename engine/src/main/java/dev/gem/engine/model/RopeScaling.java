package dev.gem.engine.model;

/**
 * Long-context RoPE scalings that GGUF files carry as a {@code rope_freqs.weight} tensor of per-pair frequency
 * divisors rather than as metadata. Computed as Hugging Face and llama.cpp's converter compute them, so a converted
 * or synthetic file matches what either would produce.
 */
public final class RopeScaling {
    private RopeScaling() {}

    /**
     * Llama 3.1's scaling: high-frequency pairs are left alone, low-frequency ones are slowed by {@code factor}, and
     * the band between is interpolated smoothly.
     *
     * @param dims             rotated dimensions per head
     * @param theta            RoPE base
     * @param factor           rope_scaling.factor (8 for Llama 3.1)
     * @param lowFreqFactor    rope_scaling.low_freq_factor (1)
     * @param highFreqFactor   rope_scaling.high_freq_factor (4)
     * @param originalContext  rope_scaling.original_max_position_embeddings (8192)
     */
    public static float[] llama3Factors(int dims, double theta, double factor, double lowFreqFactor, double highFreqFactor,
                                        int originalContext) {
        double lowWavelen = originalContext / lowFreqFactor;
        double highWavelen = originalContext / highFreqFactor;
        float[] f = new float[dims / 2];
        for (int i = 0; i < f.length; i++) {
            double freq = 1.0 / Math.pow(theta, (2.0 * i) / dims);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) f[i] = 1f;
            else if (wavelen > lowWavelen) f[i] = (float) factor;
            else {
                double smooth = (originalContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                f[i] = (float) (1.0 / ((1 - smooth) / factor + smooth));
            }
        }
        return f;
    }
}
