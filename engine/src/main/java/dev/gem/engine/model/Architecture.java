package dev.gem.engine.model;

import dev.gem.router.Gating;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What distinguishes one model family from another, as data. The transformer is written once and consults these hooks
 * where families differ; everything that can be read off the file instead (biases, Q/K norms, fused projections,
 * experts, post-norms) is detected from the tensors present, so it needs no flag here.
 * Adding a family is an entry in {@link #KNOWN}, not a copy of the forward pass.
 *
 * @param name              {@code general.architecture}
 * @param rope              RoPE pairing
 * @param activation        feed-forward nonlinearity
 * @param scaleEmbedding    multiply token embeddings by sqrt(dim) (Gemma)
 * @param swaPeriod         sliding-window layers: every layer i with {@code i % swaPeriod < swaPeriod - 1} uses the
 *                          window (Gemma 2: 2, Gemma 3: 6); 0 = no sliding window unless the file says so
 * @param swaRopeTheta      RoPE base of sliding-window layers (Gemma 3 uses 10000 there), 0 = same as global
 * @param defaultSoftcaps   Gemma 2's attention/final logit soft-caps apply when the file names none
 * @param moeNormalize      renormalise the chosen experts' weights (llama.cpp's norm_w for this family)
 * @param moeGating         default gating when the file does not say
 * @param encoder           bidirectional encoder with post-norm residuals, LayerNorm and absolute positions (BERT)
 * @param scaledResiduals   Granite's embedding/residual/attention/logit multipliers from metadata
 */
public record Architecture(String name, RopeKind rope, Activation activation, boolean scaleEmbedding, int swaPeriod,
                           float swaRopeTheta, boolean defaultSoftcaps, boolean moeNormalize, Gating moeGating,
                           boolean encoder, boolean scaledResiduals) {

    private static final Map<String, Architecture> KNOWN = new TreeMap<>();

    private static Architecture decoder(String name, RopeKind rope) {
        return new Architecture(name, rope, Activation.SILU, false, 0, 0f, false, true, Gating.SOFTMAX, false, false);
    }

    static {
        for (Architecture a : List.of(
                decoder("llama", RopeKind.INTERLEAVED),                      // Llama 2/3, Mistral, Mixtral, TinyLlama, SmolLM
                decoder("qwen2", RopeKind.NEOX),                             // + q/k/v biases, found in the file
                decoder("qwen3", RopeKind.NEOX),                             // + per-head q/k norms
                decoder("qwen2moe", RopeKind.NEOX).withMoeNormalize(false),  // + shared expert
                decoder("qwen3moe", RopeKind.NEOX),
                decoder("olmoe", RopeKind.NEOX).withMoeNormalize(false),      // + whole-vector q/k norms
                decoder("phi3", RopeKind.NEOX),                              // fused qkv and gate/up
                decoder("granite", RopeKind.INTERLEAVED).withScaledResiduals(),
                new Architecture("gemma", RopeKind.NEOX, Activation.GELU, true, 0, 0f, false, true, Gating.SOFTMAX, false, false),
                new Architecture("gemma2", RopeKind.NEOX, Activation.GELU, true, 2, 0f, true, true, Gating.SOFTMAX, false, false),
                new Architecture("gemma3", RopeKind.NEOX, Activation.GELU, true, 6, 10000f, false, true, Gating.SOFTMAX, false, false),
                new Architecture("bert", RopeKind.NEOX, Activation.GELU, false, 0, 0f, false, true, Gating.SOFTMAX, true, false)))
            KNOWN.put(a.name, a);
    }

    private Architecture withMoeNormalize(boolean n) {
        return new Architecture(name, rope, activation, scaleEmbedding, swaPeriod, swaRopeTheta, defaultSoftcaps, n, moeGating, encoder, scaledResiduals);
    }

    private Architecture withScaledResiduals() {
        return new Architecture(name, rope, activation, scaleEmbedding, swaPeriod, swaRopeTheta, defaultSoftcaps, moeNormalize, moeGating, encoder, true);
    }

    /** The hooks for a {@code general.architecture} value, or null if GEM does not know it. */
    public static Architecture forName(String name) {
        return KNOWN.get(name);
    }

    /** Names GEM can run, for error messages and docs. */
    public static String supportedNames() {
        return String.join(", ", KNOWN.keySet());
    }
}
