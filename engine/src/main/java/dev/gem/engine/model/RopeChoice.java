package dev.gem.engine.model;

import dev.gem.kernels.Rope;

/**
 * The rotary embedding each layer uses, as llama_model::get_rope_factors and the graph builders pick it: global layers
 * get the model's base, scaling and YaRN parameters; sliding-window layers their own base, unscaled; the per-pair
 * factors are rope_freqs when the file has it, else Phi-3's long factors when the context (padded as llama.cpp pads
 * it) exceeds the original context, else its short factors.
 */
final class RopeChoice {
    private final Rope global, globalLong, sliding, slidingLong;
    private final RopeScaling scaling;

    RopeChoice(ModelConfig c, Weights w) {
        boolean neox = c.arch().rope() == RopeKind.NEOX;
        scaling = c.ropeScaling();
        float[] normal = w.ropeFreqFactors != null ? w.ropeFreqFactors : w.ropeFactorsShort;
        float[] longer = w.ropeFreqFactors != null ? w.ropeFreqFactors : w.ropeFactorsLong;
        Rope.Yarn slidingYarn = new Rope.Yarn(scaling.yarn().extFactor(), scaling.yarn().attnFactor(), 32f, 1f, scaling.originalContext());
        global = new Rope(c.ropeDims(), c.ropeTheta(), c.ropeScale(), normal, neox, scaling.yarn());
        globalLong = longer == normal ? global : new Rope(c.ropeDims(), c.ropeTheta(), c.ropeScale(), longer, neox, scaling.yarn());
        sliding = new Rope(c.ropeDims(), c.ropeThetaSwa(), 1f, normal, neox, slidingYarn);
        slidingLong = longer == normal ? sliding : new Rope(c.ropeDims(), c.ropeThetaSwa(), 1f, longer, neox, slidingYarn);
    }

    /** The rope of a layer in a session whose cache holds {@code contextSize} positions. */
    Rope forLayer(boolean slidingWindow, int contextSize) {
        boolean longContext = scaling.longContext(contextSize);
        if (slidingWindow) return longContext ? slidingLong : sliding;
        return longContext ? globalLong : global;
    }
}
