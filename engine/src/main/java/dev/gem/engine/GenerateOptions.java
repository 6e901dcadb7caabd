package dev.gem.engine;

import dev.gem.engine.sample.SamplerSettings;

/**
 * One generation request.
 *
 * @param maxTokens  stop after this many new tokens (at most the context allows)
 * @param sampler    how tokens are picked
 * @param addBos     prepend the model's BOS token when the vocabulary asks for it
 * @param stopAtEog  stop at the model's end-of-generation tokens (EOS, EOT, ...)
 */
public record GenerateOptions(int maxTokens, SamplerSettings sampler, boolean addBos, boolean stopAtEog) {

    public GenerateOptions {
        if (maxTokens < 0) throw new IllegalArgumentException("maxTokens must not be negative");
        if (sampler == null) throw new IllegalArgumentException("sampler settings are required");
    }

    /** 256 tokens with llama.cpp's default sampling and a random seed. */
    public static GenerateOptions defaults() {
        return new GenerateOptions(256, SamplerSettings.defaults(), true, true);
    }

    public GenerateOptions withMaxTokens(int n) { return new GenerateOptions(n, sampler, addBos, stopAtEog); }

    public GenerateOptions withSampler(SamplerSettings s) { return new GenerateOptions(maxTokens, s, addBos, stopAtEog); }

    public GenerateOptions withAddBos(boolean b) { return new GenerateOptions(maxTokens, sampler, b, stopAtEog); }

    public GenerateOptions withStopAtEog(boolean b) { return new GenerateOptions(maxTokens, sampler, addBos, b); }
}
