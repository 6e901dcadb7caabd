package dev.gem.engine;

import dev.gem.engine.sample.SamplerSettings;
import dev.gem.router.ScarSettings;

/**
 * One generation request.
 *
 * @param maxTokens  stop after this many new tokens (at most the context allows)
 * @param sampler    how tokens are picked
 * @param addBos     prepend the model's BOS token when the vocabulary asks for it
 * @param stopAtEog  stop at the model's end-of-generation tokens (EOS, EOT, ...)
 * @param scar        variable-k expert routing for mixture-of-experts models (null: the model's own top-k)
 * @param speculation exact self-speculative decoding (null: off)
 * @param earlyExit   approximate per-token early exit (null: off)
 * @param domain      which domain adapter tokens get (null: the model's default, see Domains#defaultSelection)
 */
public record GenerateOptions(int maxTokens, SamplerSettings sampler, boolean addBos, boolean stopAtEog, ScarSettings scar,
                              Speculation speculation, EarlyExit earlyExit, DomainSelection domain) {

    public GenerateOptions {
        if (maxTokens < 0) throw new IllegalArgumentException("maxTokens must not be negative");
        if (sampler == null) throw new IllegalArgumentException("sampler settings are required");
        if (speculation != null && earlyExit != null)
            throw new IllegalArgumentException("speculative decoding (exact) and early exit (approximate) are alternatives; choose one");
    }

    public GenerateOptions(int maxTokens, SamplerSettings sampler, boolean addBos, boolean stopAtEog, ScarSettings scar) {
        this(maxTokens, sampler, addBos, stopAtEog, scar, null, null, null);
    }

    public GenerateOptions(int maxTokens, SamplerSettings sampler, boolean addBos, boolean stopAtEog, ScarSettings scar,
                           Speculation speculation, EarlyExit earlyExit) {
        this(maxTokens, sampler, addBos, stopAtEog, scar, speculation, earlyExit, null);
    }

    /** 256 tokens with llama.cpp's default sampling and a random seed. */
    public static GenerateOptions defaults() {
        return new GenerateOptions(256, SamplerSettings.defaults(), true, true, null, null, null, null);
    }

    public GenerateOptions withMaxTokens(int n) { return new GenerateOptions(n, sampler, addBos, stopAtEog, scar, speculation, earlyExit, domain); }

    public GenerateOptions withSampler(SamplerSettings s) { return new GenerateOptions(maxTokens, s, addBos, stopAtEog, scar, speculation, earlyExit, domain); }

    public GenerateOptions withAddBos(boolean b) { return new GenerateOptions(maxTokens, sampler, b, stopAtEog, scar, speculation, earlyExit, domain); }

    public GenerateOptions withStopAtEog(boolean b) { return new GenerateOptions(maxTokens, sampler, addBos, b, scar, speculation, earlyExit, domain); }

    public GenerateOptions withScar(ScarSettings s) { return new GenerateOptions(maxTokens, sampler, addBos, stopAtEog, s, speculation, earlyExit, domain); }

    public GenerateOptions withSpeculation(Speculation s) { return new GenerateOptions(maxTokens, sampler, addBos, stopAtEog, scar, s, earlyExit, domain); }

    public GenerateOptions withEarlyExit(EarlyExit e) { return new GenerateOptions(maxTokens, sampler, addBos, stopAtEog, scar, speculation, e, domain); }

    public GenerateOptions withDomain(DomainSelection d) { return new GenerateOptions(maxTokens, sampler, addBos, stopAtEog, scar, speculation, earlyExit, d); }
}
