package dev.gem.format;

import dev.gem.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Hugging Face model folder (config.json, tokenizer.json, safetensors weights) seen as the GGUF file
 * convert_hf_to_gguf.py would make of it: GGUF metadata keys and tensor names, with the converter's tensor rewrites
 * applied. Tensors that need no rewrite stay views of the mapped safetensors (zero copy); rewritten ones (Llama's
 * permuted q/k, Gemma's norms, Llama 3's rope_freqs) are computed once at open and live until {@link #close}.
 * What is converted and how is decided by the {@link HuggingFaceArchitecture} table.
 */
public final class HuggingFaceModel implements ModelFile {
    private final String name;
    private final HuggingFaceShards shards;
    private final Arena computed = Arena.ofShared();
    private final Metadata metadata;
    private final Map<String, Tensor> tensors;
    private final HuggingFaceArchitecture architecture;

    private HuggingFaceModel(Path dir, HuggingFaceShards shards, TokenizerImport tokenizer) throws IOException {
        this.name = dir.toString();
        this.shards = shards;
        HuggingFaceConfig config = HuggingFaceConfig.read(dir.resolve("config.json"));
        architecture = architectureOf(config);
        metadata = new Metadata(name);
        metadata.put("general.architecture", GgufType.STRING, architecture.ggufArch());
        metadata.put("general.type", GgufType.STRING, "model");
        metadata.put("general.name", GgufType.STRING, dir.toAbsolutePath().normalize().getFileName().toString());
        architecture.keys().write(config, architecture.ggufArch() + ".", metadata);
        metadata.put("general.quantization_version", GgufType.UINT32, 2L);
        if (tokenizer != null) tokenizer.addTo(dir, metadata);
        tensors = Collections.unmodifiableMap(mapTensors(config));
    }

    /**
     * Opens a model folder. {@code tokenizer} supplies the {@code tokenizer.*} keys (null: none, for callers that only
     * want the weights). The caller owns the result and must close it.
     */
    public static HuggingFaceModel open(Path dir, TokenizerImport tokenizer) throws IOException {
        if (!Files.exists(dir)) throw new NoSuchFileException(dir.toString(), null, "no such folder");
        if (!Files.isDirectory(dir)) throw new ModelFileException(dir.toString(), "is not a folder (a Hugging Face model is a folder with config.json and safetensors)");
        HuggingFaceShards shards = HuggingFaceShards.open(dir);
        try {
            return new HuggingFaceModel(dir, shards, tokenizer);
        } catch (IOException | RuntimeException e) {
            shards.close();
            throw e;
        }
    }

    /** Whether a folder looks like a Hugging Face model (has a config.json). */
    public static boolean isModelFolder(Path dir) {
        return Files.isDirectory(dir) && Files.isRegularFile(dir.resolve("config.json"));
    }

    private static HuggingFaceArchitecture architectureOf(HuggingFaceConfig config) throws ModelFileException {
        var archs = config.find("architectures");
        if (archs == null || !archs.isArray() || archs.isEmpty() || !archs.get(0).isTextual())
            throw new ModelFileException(config.file(), "has no \"architectures\" list naming the model class");
        String hf = archs.get(0).asText();
        HuggingFaceArchitecture a = HuggingFaceArchitecture.forName(hf);
        if (a == null)
            throw new ModelFileException(config.file(), "architecture " + hf + " is not supported (GEM converts " + HuggingFaceArchitecture.supportedNames() + ")");
        return a;
    }

    private Map<String, Tensor> mapTensors(HuggingFaceConfig config) throws ModelFileException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Tensor freqs = ropeFreqs(config);
        if (freqs != null) out.put(freqs.name(), freqs);
        int heads = architecture.permuteQk() ? config.requireInt("num_attention_heads", "n_heads") : 0;
        int kvHeads = architecture.permuteQk() && config.has("num_key_value_heads", "n_kv_heads") ? config.requireInt("num_key_value_heads", "n_kv_heads") : heads;
        for (var e : shards.tensors.entrySet()) {
            String hf = e.getKey();
            Tensor t = e.getValue();
            if (HuggingFaceArchitecture.SKIPPED_SUFFIXES.stream().anyMatch(hf::endsWith)) continue;
            if (architecture.dropLmHead() && hf.equals("lm_head.weight")) continue;
            String gguf = architecture.ggufName(hf);
            if (gguf == null)
                throw new ModelFileException(name, "tensor " + hf + " (in " + shards.origin.get(hf) + ") has no GGUF name for "
                        + architecture.hfName() + "; this checkpoint has parts GEM does not convert");
            Tensor mapped;
            if (architecture.permuteQk() && (hf.endsWith("self_attn.q_proj.weight") || hf.endsWith("self_attn.q_proj.bias")))
                mapped = HuggingFaceTransforms.permuteHeads(t, heads, gguf, computed, name);
            else if (architecture.permuteQk() && (hf.endsWith("self_attn.k_proj.weight") || hf.endsWith("self_attn.k_proj.bias")))
                mapped = HuggingFaceTransforms.permuteHeads(t, kvHeads, gguf, computed, name);
            else if (architecture.normPlusOne() && hf.endsWith("norm.weight"))
                mapped = HuggingFaceTransforms.plusOne(t, gguf, computed, name);
            else
                mapped = new Tensor(gguf, t.type(), t.dims(), t.data());
            if (out.put(gguf, mapped) != null)
                throw new ModelFileException(name, "two checkpoint tensors map to " + gguf + " (the second is " + hf + ")");
        }
        return out;
    }

    /** Llama 3.x's rope_scaling becomes rope_freqs.weight, as LlamaModel.generate_extra_tensors writes it. */
    private Tensor ropeFreqs(HuggingFaceConfig config) throws ModelFileException {
        if (!architecture.llama3Rope()) return null;
        HuggingFaceConfig rope = config.ropeParameters();
        String type = rope.optString("rope_type");
        if (type == null || !type.equalsIgnoreCase("llama3")) return null;
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
        return HuggingFaceTransforms.f32Vector("rope_freqs.weight", f, computed);
    }

    /** The table entry this folder was converted with. */
    public HuggingFaceArchitecture architecture() { return architecture; }

    @Override
    public String name() { return name; }

    @Override
    public Metadata metadata() { return metadata; }

    @Override
    public Map<String, Tensor> tensors() { return tensors; }

    @Override
    public void close() {
        shards.close();
        if (computed.scope().isAlive()) computed.close();
    }
}
