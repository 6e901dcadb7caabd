package dev.gem.format;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What llama.cpp's convert_hf_to_gguf.py knows about one Hugging Face architecture, as data: the GGUF architecture it
 * becomes, how its tensor names map ({@code model.layers.N.self_attn.q_proj.weight} to {@code blk.N.attn_q.weight}),
 * which tensors it transforms, and how config.json turns into {@code {arch}.*} metadata. This table is the one place
 * GEM keeps that knowledge; {@link HuggingFaceModel} applies it.
 *
 * @param hfName        {@code architectures[0]} in config.json
 * @param ggufArch      {@code general.architecture}
 * @param layerNames    per-layer module names (after {@code model.layers.N.}, without .weight/.bias) to GGUF names
 *                      (after {@code blk.N.})
 * @param permuteQk     Llama: q_proj/k_proj rows are reordered from Hugging Face's rotate-half RoPE pairs to the
 *                      interleaved pairs GGUF's llama architecture uses (the converter's {@code permute})
 * @param normPlusOne   Gemma: RMSNorm weights are stored as w with the model computing x·(1+w); GGUF stores 1+w
 * @param dropLmHead    Gemma: lm_head.weight (written by some quantizers) is ignored; the embedding is the head
 * @param ropeTensors   RoPE scalings written as tensors (Llama 3's rope_freqs, Phi-3's long/short factors)
 * @param experts       how per-expert matrices are named, to be stacked into {@code ffn_*_exps} (null: no experts)
 * @param keys          writes the {@code {arch}.*} keys from config.json
 */
public record HuggingFaceArchitecture(String hfName, String ggufArch, Map<String, String> layerNames, boolean permuteQk,
                                      boolean normPlusOne, boolean dropLmHead, HuggingFaceRopeTensors ropeTensors,
                                      HuggingFaceExperts experts, KeyRule keys) {

    /** Writes the architecture's metadata keys (prefix {@code arch + "."}) from config.json. */
    @FunctionalInterface
    public interface KeyRule {
        void write(HuggingFaceConfig config, String prefix, Metadata md) throws ModelFileException;
    }

    /** Top-level modules, the same for every architecture here. */
    static final Map<String, String> GLOBAL_NAMES = Map.of(
            "model.embed_tokens", "token_embd",
            "model.norm", "output_norm",
            "lm_head", "output");

    /** Tensors the converter drops: buffers some checkpoints save that are not weights. */
    static final List<String> SKIPPED_SUFFIXES = List.of(".rotary_emb.inv_freq", ".attention.masked_bias", ".attention.bias");

    private static final Map<String, String> DECODER = names(
            "input_layernorm", "attn_norm",
            "self_attn.q_proj", "attn_q",
            "self_attn.k_proj", "attn_k",
            "self_attn.v_proj", "attn_v",
            "self_attn.o_proj", "attn_output",
            "self_attn.q_norm", "attn_q_norm",
            "self_attn.k_norm", "attn_k_norm",
            "post_attention_layernorm", "ffn_norm",
            "mlp.gate_proj", "ffn_gate",
            "mlp.up_proj", "ffn_up",
            "mlp.down_proj", "ffn_down");

    /** Gemma 2 normalises around both blocks: its post_attention_layernorm is a post-norm, not the FFN pre-norm. */
    private static final Map<String, String> GEMMA2 = with(DECODER,
            "post_attention_layernorm", "post_attention_norm",
            "pre_feedforward_layernorm", "ffn_norm",
            "post_feedforward_layernorm", "post_ffw_norm");

    /** Phi-3 fuses q/k/v into one projection and gate/up into another (gate rows first). */
    private static final Map<String, String> PHI3 = with(DECODER,
            "self_attn.qkv_proj", "attn_qkv",
            "mlp.gate_up_proj", "ffn_up");

    /** Mixtral's sparse MoE block: a router per layer (the experts themselves are stacked, see HuggingFaceExperts). */
    private static final Map<String, String> MIXTRAL = with(DECODER, "block_sparse_moe.gate", "ffn_gate_inp");

    /** Qwen2-MoE, Qwen3-MoE, OLMoE: a router, and Qwen2-MoE's shared expert with its sigmoid gate. */
    private static final Map<String, String> MOE = with(DECODER,
            "mlp.gate", "ffn_gate_inp",
            "mlp.shared_expert.gate_proj", "ffn_gate_shexp",
            "mlp.shared_expert.up_proj", "ffn_up_shexp",
            "mlp.shared_expert.down_proj", "ffn_down_shexp",
            "mlp.shared_expert_gate", "ffn_gate_inp_shexp");

    private static final Map<String, HuggingFaceArchitecture> KNOWN = new TreeMap<>();

    static {
        var none = HuggingFaceRopeTensors.NONE;
        for (String llama : List.of("LlamaForCausalLM", "LLaMAForCausalLM", "MistralForCausalLM"))
            add(new HuggingFaceArchitecture(llama, "llama", DECODER, true, false, false, HuggingFaceRopeTensors.LLAMA3, null, HuggingFaceKeys::llama));
        add(new HuggingFaceArchitecture("MixtralForCausalLM", "llama", MIXTRAL, true, false, false, HuggingFaceRopeTensors.LLAMA3,
                HuggingFaceExperts.MIXTRAL, HuggingFaceKeys::llama));
        add(new HuggingFaceArchitecture("Qwen2ForCausalLM", "qwen2", DECODER, false, false, false, none, null, HuggingFaceKeys::textModel));
        add(new HuggingFaceArchitecture("Qwen3ForCausalLM", "qwen3", DECODER, false, false, false, none, null, HuggingFaceKeys::textModel));
        add(new HuggingFaceArchitecture("Qwen2MoeForCausalLM", "qwen2moe", MOE, false, false, false, none, HuggingFaceExperts.MLP, HuggingFaceKeys::qwenMoe));
        add(new HuggingFaceArchitecture("Qwen3MoeForCausalLM", "qwen3moe", MOE, false, false, false, none, HuggingFaceExperts.MLP, HuggingFaceKeys::qwenMoe));
        add(new HuggingFaceArchitecture("OlmoeForCausalLM", "olmoe", MOE, false, false, false, none, HuggingFaceExperts.MLP, HuggingFaceKeys::olmoe));
        add(new HuggingFaceArchitecture("GemmaForCausalLM", "gemma", DECODER, false, true, true, none, null, HuggingFaceKeys::gemma));
        add(new HuggingFaceArchitecture("Gemma2ForCausalLM", "gemma2", GEMMA2, false, true, true, none, null, HuggingFaceKeys::gemma2));
        add(new HuggingFaceArchitecture("Phi3ForCausalLM", "phi3", PHI3, false, false, false, HuggingFaceRopeTensors.PHI3, null, HuggingFaceKeys::phi3));
    }

    private static void add(HuggingFaceArchitecture a) {
        KNOWN.put(a.hfName, a);
    }

    /** The entry for {@code architectures[0]}, or null. */
    public static HuggingFaceArchitecture forName(String hfName) {
        return KNOWN.get(hfName);
    }

    public static String supportedNames() {
        return String.join(", ", KNOWN.keySet());
    }

    /**
     * The GGUF name of a Hugging Face tensor, or null when this architecture has no mapping for it (or it is one
     * expert's matrix, see {@link #expertPart}). Suffixes (.weight, .bias) carry over.
     */
    public String ggufName(String hf) {
        String suffix = hf.endsWith(".weight") ? ".weight" : hf.endsWith(".bias") ? ".bias" : null;
        if (suffix == null) return null;
        String module = hf.substring(0, hf.length() - suffix.length());
        String global = GLOBAL_NAMES.get(module);
        if (global != null) return global + suffix;
        String prefix = "model.layers.";
        if (!module.startsWith(prefix)) return null;
        int dot = module.indexOf('.', prefix.length());
        if (dot < 0) return null;
        String layer = module.substring(prefix.length(), dot);
        if (layer.isEmpty() || !layer.chars().allMatch(Character::isDigit)) return null;
        String mapped = layerNames.get(module.substring(dot + 1));
        return mapped == null ? null : "blk." + Integer.parseInt(layer) + "." + mapped + suffix;
    }

    /** Which stacked expert tensor a checkpoint tensor belongs to, or null when it is not one expert's weight matrix. */
    HuggingFaceExperts.Part expertPart(String hf) {
        String prefix = "model.layers.", suffix = ".weight";
        if (experts == null || !hf.startsWith(prefix) || !hf.endsWith(suffix)) return null;
        String module = hf.substring(prefix.length(), hf.length() - suffix.length());
        int dot = module.indexOf('.');
        if (dot <= 0 || !module.substring(0, dot).chars().allMatch(Character::isDigit)) return null;
        return experts.part(module.substring(dot + 1), Integer.parseInt(module.substring(0, dot)));
    }

    private static Map<String, String> names(String... pairs) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) m.put(pairs[i], pairs[i + 1]);
        return java.util.Collections.unmodifiableMap(m);
    }

    private static Map<String, String> with(Map<String, String> base, String... pairs) {
        Map<String, String> m = new LinkedHashMap<>(base);
        m.putAll(names(pairs));
        return java.util.Collections.unmodifiableMap(m);
    }
}
