package dev.gem.engine.sample;

/**
 * How the next token is picked from the logits. The defaults are llama.cpp's, so the same flags mean the same thing.
 *
 * @param temperature   0 or less picks the most likely token (greedy)
 * @param topK          keep the k most likely tokens (0 or less: all)
 * @param topP          keep the smallest set whose probability reaches p (1: all)
 * @param minP          drop tokens less likely than minP times the most likely one (0: none)
 * @param repeatPenalty divide positive (multiply negative) logits of recently seen tokens by this (1: off)
 * @param repeatLastN   how many recent tokens the penalty looks at
 * @param seed          random seed; the same seed and settings give the same output
 */
public record SamplerSettings(float temperature, int topK, float topP, float minP, float repeatPenalty, int repeatLastN, long seed) {

    public static final float DEFAULT_TEMPERATURE = 0.8f;
    public static final int DEFAULT_TOP_K = 40;
    public static final float DEFAULT_TOP_P = 0.95f;
    public static final float DEFAULT_MIN_P = 0.05f;

    public SamplerSettings {
        if (Float.isNaN(temperature)) throw new IllegalArgumentException("temperature is NaN");
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        if (!(minP >= 0 && minP <= 1)) throw new IllegalArgumentException("min-p must be in [0, 1], got " + minP);
        if (!(repeatPenalty > 0)) throw new IllegalArgumentException("repeat penalty must be positive, got " + repeatPenalty);
        if (repeatLastN < 0) throw new IllegalArgumentException("repeat-last-n must not be negative, got " + repeatLastN);
    }

    /** llama.cpp's defaults with a fresh random seed. */
    public static SamplerSettings defaults() {
        return new SamplerSettings(DEFAULT_TEMPERATURE, DEFAULT_TOP_K, DEFAULT_TOP_P, DEFAULT_MIN_P, 1f, 64, new java.util.Random().nextLong());
    }

    /** Always the most likely token. */
    public static SamplerSettings greedy() {
        return new SamplerSettings(0f, DEFAULT_TOP_K, DEFAULT_TOP_P, DEFAULT_MIN_P, 1f, 64, 0);
    }

    public boolean isGreedy() { return temperature <= 0; }

    public SamplerSettings withTemperature(float t) { return new SamplerSettings(t, topK, topP, minP, repeatPenalty, repeatLastN, seed); }

    public SamplerSettings withTopK(int k) { return new SamplerSettings(temperature, k, topP, minP, repeatPenalty, repeatLastN, seed); }

    public SamplerSettings withTopP(float p) { return new SamplerSettings(temperature, topK, p, minP, repeatPenalty, repeatLastN, seed); }

    public SamplerSettings withMinP(float p) { return new SamplerSettings(temperature, topK, topP, p, repeatPenalty, repeatLastN, seed); }

    public SamplerSettings withRepeatPenalty(float penalty, int lastN) { return new SamplerSettings(temperature, topK, topP, minP, penalty, lastN, seed); }

    public SamplerSettings withSeed(long s) { return new SamplerSettings(temperature, topK, topP, minP, repeatPenalty, repeatLastN, s); }
}
