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
 * permuted q/k, Gemma's norms, Llama 3's rope_freqs, Phi-3's long/short RoPE factors, stacked MoE experts) are
 * computed once at open and live until {@link #close}.
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
        for (Tensor t : architecture.ropeTensors().generate(config, metadata, computed)) out.put(t.name(), t);
        int heads = architecture.permuteQk() ? config.requireInt("num_attention_heads", "n_heads") : 0;
        int kvHeads = architecture.permuteQk() && config.has("num_key_value_heads", "n_kv_heads") ? config.requireInt("num_key_value_heads", "n_kv_heads") : heads;
        HuggingFaceExperts.Collector experts = new HuggingFaceExperts.Collector();
        for (var e : shards.tensors.entrySet()) {
            String hf = e.getKey();
            Tensor t = e.getValue();
            if (HuggingFaceArchitecture.SKIPPED_SUFFIXES.stream().anyMatch(hf::endsWith)) continue;
            if (architecture.dropLmHead() && hf.equals("lm_head.weight")) continue;
            HuggingFaceExperts.Part expert = architecture.expertPart(hf);
            if (expert != null) {
                experts.add(expert, t, hf);
                continue;
            }
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
        if (!experts.isEmpty()) {
            int count = config.requireInt("num_local_experts", "num_experts", "n_routed_experts");
            for (var s : experts.stack(count, computed, name).entrySet())
                if (out.put(s.getKey(), s.getValue()) != null)
                    throw new ModelFileException(name, "two checkpoint tensors map to " + s.getKey());
        }
        return out;
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
