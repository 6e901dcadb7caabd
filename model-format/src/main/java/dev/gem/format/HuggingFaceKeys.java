package dev.gem.format;

import java.util.List;

/**
 * config.json to {@code {arch}.*} GGUF keys, as convert_hf_to_gguf.py's {@code set_gguf_parameters} writes them for
 * each architecture (same keys, same value types: counts as UINT32, epsilons and RoPE numbers as FLOAT32).
 */
final class HuggingFaceKeys {
    private HuggingFaceKeys() {}

    /** TextModel.set_gguf_parameters: the keys every text model gets from the usual config names. */
    static void textModel(HuggingFaceConfig c, String p, Metadata md) throws ModelFileException {
        u32(md, p + "block_count", c.requireInt("n_layers", "num_hidden_layers", "n_layer", "num_layers"));
        u32(md, p + "context_length", c.optInt("max_position_embeddings", "n_ctx", "n_positions", "max_length", "max_sequence_length", "model_max_length"));
        u32(md, p + "embedding_length", c.optInt("hidden_size", "n_embd", "dim"));
        u32(md, p + "feed_forward_length", c.optInt("prefix_dense_intermediate_size", "dense_intermediate_size", "intermediate_size", "n_inner", "hidden_dim"));
        u32(md, p + "attention.head_count", c.optInt("num_attention_heads", "n_head", "n_heads"));
        u32(md, p + "attention.head_count_kv", c.optInt("num_key_value_heads", "n_kv_heads"));
        HuggingFaceConfig rope = c.ropeParameters();
        ropeScaling(c, rope, p, md);
        f32(md, p + "rope.freq_base", rope.optDouble("rope_theta"));
        f32(md, p + "attention.layer_norm_rms_epsilon", c.optDouble("rms_norm_eps", "norm_eps"));
        f32(md, p + "attention.layer_norm_epsilon", c.optDouble("layer_norm_eps", "layer_norm_epsilon", "norm_epsilon"));
        u32(md, p + "expert_count", c.optInt("num_local_experts", "num_experts", "n_routed_experts"));
        u32(md, p + "expert_used_count", c.optInt("num_experts_per_tok", "num_experts_per_token", "top_k_experts"));
        Integer headDim = c.optInt("head_dim");
        u32(md, p + "attention.key_length", headDim);
        u32(md, p + "attention.value_length", headDim);
    }

    /** LlamaModel: the text-model keys plus the vocabulary size and the rotated dimensions. */
    static void llama(HuggingFaceConfig c, String p, Metadata md) throws ModelFileException {
        textModel(c, p, md);
        u32(md, p + "vocab_size", c.requireInt("vocab_size"));
        Integer headDim = c.optInt("head_dim");
        u32(md, p + "rope.dimension_count", headDim != null ? headDim : c.requireInt("hidden_size") / c.requireInt("num_attention_heads"));
    }

    /** Qwen2MoeModel (and Qwen3MoeModel, its subclass): the expert and shared-expert widths. */
    static void qwenMoe(HuggingFaceConfig c, String p, Metadata md) throws ModelFileException {
        textModel(c, p, md);
        u32(md, p + "expert_feed_forward_length", c.optInt("moe_intermediate_size"));
        u32(md, p + "expert_shared_feed_forward_length", c.optInt("shared_expert_intermediate_size"));
    }

    /** OlmoeModel: the text-model keys, with the RMS epsilon fixed at 1e-5 whatever config.json says. */
    static void olmoe(HuggingFaceConfig c, String p, Metadata md) throws ModelFileException {
        textModel(c, p, md);
        f32(md, p + "attention.layer_norm_rms_epsilon", 1e-5);
    }

    /** GemmaModel writes its keys itself (no RoPE base: Gemma uses llama.cpp's default 10000). */
    static void gemma(HuggingFaceConfig c, String p, Metadata md) throws ModelFileException {
        u32(md, p + "context_length", c.requireInt("max_position_embeddings"));
        u32(md, p + "embedding_length", c.requireInt("hidden_size"));
        u32(md, p + "block_count", c.requireInt("num_hidden_layers"));
        u32(md, p + "feed_forward_length", c.requireInt("intermediate_size"));
        int heads = c.requireInt("num_attention_heads");
        u32(md, p + "attention.head_count", heads);
        u32(md, p + "attention.head_count_kv", c.has("num_key_value_heads") ? c.requireInt("num_key_value_heads") : heads);
        f32(md, p + "attention.layer_norm_rms_epsilon", c.requireDouble("rms_norm_eps"));
        int headDim = c.requireInt("head_dim");
        u32(md, p + "attention.key_length", headDim);
        u32(md, p + "attention.value_length", headDim);
    }

    /** Gemma2Model: Gemma's keys plus the logit soft-caps and the sliding window. */
    static void gemma2(HuggingFaceConfig c, String p, Metadata md) throws ModelFileException {
        gemma(c, p, md);
        f32(md, p + "attn_logit_softcapping", c.requireDouble("attn_logit_softcapping"));
        f32(md, p + "final_logit_softcapping", c.requireDouble("final_logit_softcapping"));
        u32(md, p + "attention.sliding_window", c.requireInt("sliding_window"));
    }

    /**
     * Phi3MiniModel: partial rotary dimensions, the original context, and a sliding window of 0 when there is none.
     * Long-context RoPE (longrope/su) becomes tensors and an attention factor, see {@link HuggingFaceRopeTensors}.
     */
    static void phi3(HuggingFaceConfig c, String p, Metadata md) throws ModelFileException {
        int embd = c.requireInt("hidden_size", "n_embd");
        int heads = c.requireInt("num_attention_heads", "n_head");
        HuggingFaceConfig rope = c.ropeParameters();
        String type = rope.optString("rope_type");
        if (type != null && !List.of("default", "longrope", "su", "yarn").contains(type.toLowerCase(java.util.Locale.ROOT)))
            throw new ModelFileException(c.file(), "rope_scaling type '" + type + "' is not supported for Phi-3 (default, longrope, su, yarn are)");
        double rotary = rope.has("partial_rotary_factor") ? rope.requireDouble("partial_rotary_factor") : c.has("partial_rotary_factor") ? c.requireDouble("partial_rotary_factor") : 1.0;
        u32(md, p + "context_length", c.requireInt("n_positions", "max_position_embeddings"));
        Integer original = rope.has("original_max_position_embeddings") ? rope.optInt("original_max_position_embeddings") : c.optInt("original_max_position_embeddings");
        if (original == null) throw new ModelFileException(c.file(), "missing original_max_position_embeddings");
        u32(md, p + "rope.scaling.original_context_length", original);
        u32(md, p + "embedding_length", embd);
        u32(md, p + "feed_forward_length", c.requireInt("intermediate_size"));
        u32(md, p + "block_count", c.requireInt("num_hidden_layers", "n_layer"));
        u32(md, p + "attention.head_count", heads);
        u32(md, p + "attention.head_count_kv", c.requireInt("num_key_value_heads", "n_head_kv"));
        f32(md, p + "attention.layer_norm_rms_epsilon", c.requireDouble("rms_norm_eps"));
        u32(md, p + "rope.dimension_count", (int) (rotary * embd) / heads);
        f32(md, p + "rope.freq_base", rope.requireDouble("rope_theta"));
        Integer window = c.optInt("sliding_window");
        u32(md, p + "attention.sliding_window", window == null ? 0 : window);
    }

    /**
     * The converter's handling of {@code rope_type}: linear and YaRN become metadata, Llama 3's scaling becomes a
     * tensor (see {@link HuggingFaceModel}), "dynamic" is left to the model class; anything else GEM refuses rather
     * than silently producing a model with the wrong positions.
     */
    private static void ropeScaling(HuggingFaceConfig c, HuggingFaceConfig rope, String p, Metadata md) throws ModelFileException {
        String type = rope.optString("rope_type");
        if (type == null || type.equals("default")) return;
        Double factor = rope.optDouble("factor");
        switch (type.toLowerCase(java.util.Locale.ROOT)) {
            case "linear" -> {
                if (factor == null) return;
                md.put(p + "rope.scaling.type", GgufType.STRING, "linear");
                f32(md, p + "rope.scaling.factor", factor);
            }
            case "yarn" -> {
                if (factor == null) return;
                md.put(p + "rope.scaling.type", GgufType.STRING, "yarn");
                f32(md, p + "rope.scaling.factor", factor);
                u32(md, p + "rope.scaling.original_context_length", rope.requireInt("original_max_position_embeddings"));
                f32(md, p + "rope.scaling.yarn_ext_factor", rope.optDouble("extrapolation_factor"));
                f32(md, p + "rope.scaling.yarn_attn_factor", rope.optDouble("attention_factor", "attn_factor"));
                f32(md, p + "rope.scaling.yarn_beta_fast", rope.optDouble("beta_fast"));
                f32(md, p + "rope.scaling.yarn_beta_slow", rope.optDouble("beta_slow"));
            }
            case "llama3", "dynamic" -> { }
            case "su", "longrope" -> throw new ModelFileException(c.file(), "rope_scaling type '" + type
                    + "' (long-context RoPE with per-dimension factor tensors) is supported for Phi-3 only");
            default -> throw new ModelFileException(c.file(), "rope_scaling type '" + type + "' is not supported (GEM converts linear, yarn and llama3)");
        }
    }

    static void u32(Metadata md, String key, Integer v) {
        if (v != null) md.put(key, GgufType.UINT32, (long) v);
    }

    static void f32(Metadata md, String key, Double v) {
        if (v != null) md.put(key, GgufType.FLOAT32, v.floatValue());
    }
}
