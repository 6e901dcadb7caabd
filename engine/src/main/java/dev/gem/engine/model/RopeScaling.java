package dev.gem.engine.model;

import dev.gem.format.Metadata;
import dev.gem.format.ModelFileException;
import dev.gem.kernels.Rope;

/**
 * A model's RoPE scaling, read from {@code {arch}.rope.scaling.*} and turned into the numbers llama.cpp hands ggml
 * (llama_model's hparams, then llama_context's cparams): the frequency scale, YaRN's extrapolation mix and magnitude
 * correction, and the original context that also decides between Phi-3's long and short factors.
 *
 * <p>llama.cpp reads {@code yarn_ext_factor}, {@code yarn_attn_factor}, {@code yarn_beta_fast/slow} and
 * {@code yarn_log_multiplier} only for architectures GEM does not run (Grok, DeepSeek, Mistral 3); for the others it
 * uses ext 1, betas 32/1 and no log multiplier, whatever the file says, and so does GEM.
 *
 * @param type            none, linear, yarn or longrope
 * @param freqScale       1 / {@code rope.scaling.factor} (1 when there is no factor, or for type none)
 * @param originalContext {@code rope.scaling.original_context_length}, default the context length
 * @param yarn            what {@link Rope} needs for YaRN and the cos/sin multiplier
 */
public record RopeScaling(String type, float freqScale, int originalContext, Rope.Yarn yarn) {

    static RopeScaling read(Metadata md, String p, int contextLength) throws ModelFileException {
        String type = md.getString(p + "rope.scaling.type", "none");
        if (!java.util.List.of("none", "linear", "yarn", "longrope").contains(type))
            throw new ModelFileException(md.file(), "RoPE scaling '" + type + "' (" + p + "rope.scaling.type) is not supported; GEM handles none, linear, yarn and longrope (and Llama 3 frequency factors)");
        float factor = md.getFloat(p + "rope.scaling.factor", md.getFloat(p + "rope.scale_linear", 0f));
        float freqScale = type.equals("none") || factor == 0f ? 1f : 1f / factor;
        int original = md.getInt(p + "rope.scaling.original_context_length", contextLength);
        float ropeAttnFactor = md.getFloat(p + "rope.scaling.attn_factor", 1f);
        float ext = type.equals("yarn") ? 1f : 0f;
        float attn = 1f;
        if (ext != 0f) {
            // llama_context: YaRN's own magnitude correction (get_mscale) divided by the one ggml's rope_yarn applies
            float f = 1f / freqScale;
            attn = f <= 1f ? 1f : 0.1f * (float) Math.log(f) + 1f;
            attn *= 1f / (1f + 0.1f * (float) Math.log(f));
        }
        attn *= ropeAttnFactor;
        if (original <= 0) throw new ModelFileException(md.file(), p + "rope.scaling.original_context_length must be positive, is " + original);
        return new RopeScaling(type, freqScale, original, new Rope.Yarn(ext, attn, 32f, 1f, original));
    }

    /**
     * llama.cpp picks Phi-3's long factors when the context per sequence, which it pads to a multiple of 256, exceeds
     * the original context.
     */
    public boolean longContext(int contextSize) {
        int padded = (contextSize + 255) / 256 * 256;
        return padded > originalContext;
    }
}
