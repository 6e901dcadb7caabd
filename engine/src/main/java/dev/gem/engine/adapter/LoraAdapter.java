package dev.gem.engine.adapter;

import dev.gem.format.ModelFile;
import dev.gem.format.ModelFileException;
import dev.gem.tensor.Tensor;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A LoRA adapter: for some weight matrices W of a base model, a low-rank update applied as
 * {@code W·x + scale · B·(A·x)}, kept apart from W so it can be switched per token without touching the weights.
 * Tensors and scale follow llama.cpp's GGUF adapter format: {@code NAME.lora_a} has shape [in, rank],
 * {@code NAME.lora_b} has shape [rank, out] (ggml order, as W is [in, out]), and
 * {@code scale = user scale × alpha / rank}, or the user scale alone when alpha is 0 or absent. The token embedding's
 * pair is the exception llama.cpp makes: A is [rank, vocab] (a row per token) and B is [rank, dim].
 */
public final class LoraAdapter {
    /** The update of one weight matrix. */
    public record Pair(String target, Tensor a, Tensor b, float scale) {
        /** llama.cpp's rank: lora_b's first dimension. */
        public int rank() { return b.cols(); }
    }

    public static final String TOKEN_EMBEDDING = "token_embd.weight";

    private final String source;
    private final float alpha, userScale;
    private final Map<String, Pair> pairs;

    private LoraAdapter(String source, float alpha, float userScale, Map<String, Pair> pairs) {
        this.source = source;
        this.alpha = alpha;
        this.userScale = userScale;
        this.pairs = Collections.unmodifiableMap(pairs);
    }

    /** Where the adapter came from, for messages. */
    public String source() { return source; }

    public float alpha() { return alpha; }

    /** The scale the user asked for (llama.cpp's adapter scale), before alpha / rank. */
    public float userScale() { return userScale; }

    /** Updates by target tensor name, in file order. */
    public Map<String, Pair> pairs() { return pairs; }

    /** The largest rank of any pair (sizes scratch buffers). */
    public int maxRank() {
        return pairs.values().stream().mapToInt(Pair::rank).max().orElse(0);
    }

    /**
     * Reads a llama.cpp adapter file ({@code general.type = adapter}, {@code adapter.type = lora}) made for a model of
     * architecture {@code arch}.
     */
    public static LoraAdapter read(ModelFile file, String arch, float userScale) throws ModelFileException {
        var md = file.metadata();
        String type = md.getString("general.type", "");
        if (!type.equals("adapter"))
            throw new ModelFileException(file.name(), "is not an adapter: general.type is '" + type + "', expected 'adapter' (a LoRA GGUF from llama.cpp's convert_lora_to_gguf.py)");
        String kind = md.getString("adapter.type", "");
        if (!kind.equals("lora")) throw new ModelFileException(file.name(), "adapter.type is '" + kind + "'; GEM loads 'lora' adapters");
        String adapterArch = md.getString("general.architecture", "");
        if (!adapterArch.equals(arch))
            throw new ModelFileException(file.name(), "is an adapter for a '" + adapterArch + "' model, but the model is '" + arch + "'");
        if (md.has("adapter.alora.invocation_tokens"))
            throw new ModelFileException(file.name(), "is an activated LoRA (adapter.alora.invocation_tokens); GEM applies plain LoRA adapters only");
        float alpha = md.getFloat("adapter.lora.alpha", 0f);
        return new LoraAdapter(file.name(), alpha, userScale, pair(file, "", alpha, userScale, true));
    }

    /**
     * The adapter stored inside a GEM file under {@code prefix} (tensors {@code prefix + NAME + ".lora_a"} and
     * {@code ".lora_b"}); null when the file has no tensor with that prefix.
     */
    public static LoraAdapter embedded(ModelFile file, String prefix, float alpha, float userScale) throws ModelFileException {
        Map<String, Pair> p = pair(file, prefix, alpha, userScale, false);
        return p.isEmpty() ? null : new LoraAdapter(file.name() + " (" + prefix + "*)", alpha, userScale, p);
    }

    /** llama.cpp's rule: rank is lora_b's first dimension. */
    public static float scale(float alpha, float userScale, long rank) {
        return alpha != 0 ? userScale * alpha / rank : userScale;
    }

    private static Map<String, Pair> pair(ModelFile file, String prefix, float alpha, float userScale, boolean wholeFile)
            throws ModelFileException {
        Map<String, Tensor[]> ab = new LinkedHashMap<>();
        for (Tensor t : file.tensors().values()) {
            String name = t.name();
            if (!name.startsWith(prefix)) continue;
            name = name.substring(prefix.length());
            int slot = name.endsWith(".lora_a") ? 0 : name.endsWith(".lora_b") ? 1 : -1;
            if (slot < 0) {
                if (wholeFile && name.endsWith("_norm.weight")) continue; // llama.cpp ignores norm updates too
                throw new ModelFileException(file.name(), "tensor " + t.name() + " is neither a .lora_a nor a .lora_b tensor");
            }
            ab.computeIfAbsent(name.substring(0, name.length() - 7), k -> new Tensor[2])[slot] = t;
        }
        Map<String, Pair> out = new LinkedHashMap<>();
        for (var e : ab.entrySet()) {
            Tensor a = e.getValue()[0], b = e.getValue()[1];
            String target = e.getKey();
            if (a == null || b == null)
                throw new ModelFileException(file.name(), "adapter for " + target + " has only its " + (a == null ? "lora_b" : "lora_a") + " tensor");
            boolean embedding = target.equals(TOKEN_EMBEDDING);
            if (a.rank() != 2 || b.rank() != 2 || (embedding ? a.dim(0) != b.dim(0) : a.dim(1) != b.dim(0)))
                throw new ModelFileException(file.name(), "adapter for " + target + ": lora_a " + Arrays.toString(a.dims()) + " and lora_b "
                        + Arrays.toString(b.dims()) + " do not multiply (expected " + (embedding ? "[rank, vocab] and [rank, dim]" : "[in, rank] and [rank, out]")
                        + "; an adapter from llama.cpp's old finetune example is not supported)");
            out.put(target, new Pair(target, a, b, scale(alpha, userScale, b.dim(0))));
        }
        return out;
    }
}
