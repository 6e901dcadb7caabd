package dev.gem.format;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gem.tensor.Tensor;

import java.lang.foreign.Arena;
import java.util.List;

/**
 * RoPE scalings that the converter turns into tensors rather than metadata: Llama 3.x's {@code rope_freqs.weight}
 * (LlamaModel.generate_extra_tensors) and Phi-3's long-context {@code rope_factors_long/short.weight}
 * (Phi3MiniModel.generate_extra_tensors, which also writes {@code rope.scaling.attn_factor}).
 */
enum HuggingFaceRopeTensors {
    NONE, LLAMA3, PHI3;

    /** The tensors for this config (none when its rope_scaling does not call for them). */
    List<Tensor> generate(HuggingFaceConfig config, Metadata md, Arena arena) throws ModelFileException {
        return switch (this) {
            case NONE -> List.of();
            case LLAMA3 -> llama3(config, arena);
            case PHI3 -> phi3(config, md, arena);
        };
    }

    private static List<Tensor> llama3(HuggingFaceConfig config, Arena arena) throws ModelFileException {
        HuggingFaceConfig rope = config.ropeParameters();
        String type = rope.optString("rope_type");
        if (type == null || !type.equalsIgnoreCase("llama3")) return List.of();
        Integer headDim = config.optInt("head_dim");
        int dim = headDim != null ? headDim : config.requireInt("hidden_size") / config.requireInt("num_attention_heads");
        double theta = rope.has("rope_theta") ? rope.requireDouble("rope_theta") : 10000.0;
        // transformers reads the original context from rope_scaling; the converter from the top level (else 8192).
        // Every Llama 3.x config has it only in rope_scaling, at 8192, where both agree.
        Integer original = rope.has("original_max_position_embeddings") ? rope.optInt("original_max_position_embeddings")
                : config.has("original_max_position_embeddings") ? config.optInt("original_max_position_embeddings") : 8192;
        double factor = rope.has("factor") ? rope.requireDouble("factor") : 8.0;
        double low = rope.has("low_freq_factor") ? rope.requireDouble("low_freq_factor") : 1.0;
        double high = rope.has("high_freq_factor") ? rope.requireDouble("high_freq_factor") : 4.0;
        if (low == high) throw new ModelFileException(config.file(), "rope_scaling low_freq_factor equals high_freq_factor (" + low + ")");
        float[] f = HuggingFaceTransforms.llama3Factors(dim, (float) theta, (float) factor, (float) low, (float) high, original);
        return List.of(HuggingFaceTransforms.f32Vector("rope_freqs.weight", f, arena));
    }

    /**
     * "longrope" (formerly "su") or "yarn" with long_factor/short_factor lists: the factors become tensors of
     * rope_dims/2 values each, and the attention factor sqrt(1 + ln(s)/ln(original)) (longrope) or 0.1·ln(s) + 1
     * (yarn), s = max_position_embeddings / original, is written as {@code phi3.rope.scaling.attn_factor}.
     */
    private static List<Tensor> phi3(HuggingFaceConfig config, Metadata md, Arena arena) throws ModelFileException {
        HuggingFaceConfig rope = config.ropeParameters();
        JsonNode longFactors = rope.find("long_factor"), shortFactors = rope.find("short_factor");
        if (longFactors == null || longFactors.isEmpty()) return List.of();
        int embd = config.requireInt("hidden_size", "n_embd"), heads = config.requireInt("num_attention_heads", "n_head");
        double rotary = rope.has("partial_rotary_factor") ? rope.requireDouble("partial_rotary_factor")
                : config.has("partial_rotary_factor") ? config.requireDouble("partial_rotary_factor") : 1.0;
        int ropeDims = (int) (rotary * embd) / heads;
        int maxPositions = config.requireInt("n_positions", "max_position_embeddings");
        Integer original = rope.has("original_max_position_embeddings") ? rope.optInt("original_max_position_embeddings") : config.optInt("original_max_position_embeddings");
        if (original == null) throw new ModelFileException(config.file(), "missing original_max_position_embeddings (needed for long-context RoPE)");
        double scale = (double) maxPositions / original;
        String type = rope.optString("rope_type");
        if (type == null || type.isEmpty()) throw new ModelFileException(config.file(), "rope_scaling has long_factor but no type");
        double attnFactor = switch (type.toLowerCase(java.util.Locale.ROOT)) {
            case "su", "longrope" -> scale > 1 ? Math.sqrt(1 + Math.log(scale) / Math.log(original)) : 1.0;
            case "yarn" -> scale > 1 ? 0.1 * Math.log(scale) + 1.0 : 1.0;
            default -> throw new ModelFileException(config.file(), "rope_scaling type '" + type + "' with long/short factors is not supported (longrope, su, yarn are)");
        };
        md.put("phi3.rope.scaling.attn_factor", GgufType.FLOAT32, (float) attnFactor);
        if (shortFactors == null || longFactors.size() != shortFactors.size() || longFactors.size() * 2 != ropeDims)
            throw new ModelFileException(config.file(), "rope_scaling long_factor and short_factor must each have " + ropeDims / 2
                    + " values (half the rotary dimensions); found " + longFactors.size() + " and " + (shortFactors == null ? 0 : shortFactors.size()));
        return List.of(HuggingFaceTransforms.f32Vector("rope_factors_long.weight", floats(longFactors, config), arena),
                HuggingFaceTransforms.f32Vector("rope_factors_short.weight", floats(shortFactors, config), arena));
    }

    private static float[] floats(JsonNode list, HuggingFaceConfig config) throws ModelFileException {
        float[] f = new float[list.size()];
        for (int i = 0; i < f.length; i++) {
            if (!list.get(i).isNumber()) throw new ModelFileException(config.file(), "rope_scaling factor " + i + " is not a number: " + list.get(i));
            f[i] = (float) list.get(i).asDouble();
        }
        return f;
    }
}
