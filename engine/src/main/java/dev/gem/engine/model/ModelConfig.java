package dev.gem.engine.model;

import dev.gem.format.Metadata;
import dev.gem.format.ModelFileException;
import dev.gem.router.Gating;

/**
 * The hyper-parameters of a model, read from GGUF metadata under the architecture's key prefix
 * ({@code llama.embedding_length} and so on), with each family's defaults applied where the file is silent.
 *
 * @param headDim        size of one query/key head ({@code attention.key_length}, default dim / heads)
 * @param headDimV       size of one value head ({@code attention.value_length}, default headDim)
 * @param ropeDims       dimensions of each head that RoPE rotates ({@code rope.dimension_count})
 * @param ropeScale      linear position scale of global layers (1 / {@code rope.scaling.factor} for linear/YaRN scaling)
 * @param experts        experts per MoE layer (0: dense)
 * @param slidingLayers  per layer: whether attention is limited to the last {@code slidingWindow} positions
 * @param attentionScale multiplier of q·k before the softmax
 * @param attnSoftcap    c in c·tanh(score / c) on attention scores, 0 = none (Gemma 2)
 * @param finalSoftcap   the same on the output logits, 0 = none
 * @param embedScale     multiplier of token embeddings (Gemma: sqrt(dim); Granite: embedding_scale)
 * @param residualScale  multiplier of each block's output before it is added back (Granite)
 * @param logitScale     divisor of the output logits (Granite)
 * @param ropeScaling    the whole RoPE scaling (YaRN parameters, original context for Phi-3's long/short factors)
 */
public record ModelConfig(
        Architecture arch,
        int dim, int layers, int heads, int kvHeads, int headDim, int headDimV, int ffnDim, int vocab, int contextLength,
        float normEps, float ropeTheta, int ropeDims, float ropeScale,
        int experts, int expertsUsed, int expertFfnDim, int sharedExpertFfnDim, Gating gating, boolean expertNormalize,
        float expertScale,
        int slidingWindow, boolean[] slidingLayers, float ropeThetaSwa,
        float attentionScale, float attnSoftcap, float finalSoftcap,
        float embedScale, float residualScale, float logitScale,
        boolean causal, Pooling pooling, RopeScaling ropeScaling) {

    public int kvDim() { return kvHeads * headDim; }

    public int kvDimV() { return kvHeads * headDimV; }

    public int qDim() { return heads * headDim; }

    public int attnOutDim() { return heads * headDimV; }

    public boolean isMoe() { return experts > 0; }

    public boolean sliding(int layer) { return slidingLayers[layer]; }

    public static ModelConfig read(Metadata md, Architecture arch, int vocabFallback) throws ModelFileException {
        String p = md.getString("general.architecture") + ".";
        String file = md.file();
        int dim = md.getInt(p + "embedding_length");
        int layers = md.getInt(p + "block_count");
        int heads = md.getInt(p + "attention.head_count");
        int kvHeads = md.getInt(p + "attention.head_count_kv", heads);
        int headDim = md.getInt(p + "attention.key_length", heads == 0 ? 0 : dim / heads);
        int headDimV = md.getInt(p + "attention.value_length", headDim);
        int ffn = md.getInt(p + "feed_forward_length");
        int vocab = md.getInt(p + "vocab_size", vocabFallback);
        int ctx = md.getInt(p + "context_length", 2048);
        float eps = arch.encoder()
                ? md.getFloat(p + "attention.layer_norm_epsilon", 1e-12f)
                : md.getFloat(p + "attention.layer_norm_rms_epsilon", 1e-5f);
        float theta = md.getFloat(p + "rope.freq_base", 10000f);
        int ropeDims = md.getInt(p + "rope.dimension_count", headDim);
        RopeScaling scaling = RopeScaling.read(md, p, ctx);
        float ropeScale = scaling.freqScale();

        int experts = md.getInt(p + "expert_count", 0);
        int used = md.getInt(p + "expert_used_count", 0);
        int expertFfn = md.getInt(p + "expert_feed_forward_length", experts > 0 && arch.name().equals("qwen2moe") && used > 0 ? ffn / used : ffn);
        int sharedFfn = md.getInt(p + "expert_shared_feed_forward_length", ffn);
        Gating gating = md.has(p + "expert_gating_func") ? Gating.ofGgufId(md.getInt(p + "expert_gating_func")) : arch.moeGating();
        boolean normalize = md.getBool(p + "expert_weights_norm", arch.moeNormalize());
        float expertScale = md.getFloat(p + "expert_weights_scale", 1f);
        if (expertScale == 0f) expertScale = 1f;

        int window = md.getInt(p + "attention.sliding_window", arch.swaPeriod() > 0 && arch.name().equals("gemma2") ? 4096 : 0);
        int period = md.getInt(p + "attention.sliding_window_pattern", arch.swaPeriod());
        boolean[] sliding = new boolean[layers];
        if (window > 0 && period > 0)
            for (int i = 0; i < layers; i++) sliding[i] = i % period < period - 1;
        float thetaSwa = md.getFloat(p + "rope.freq_base_swa", arch.swaRopeTheta() > 0 ? arch.swaRopeTheta() : theta);

        float attnScale = (float) (1.0 / Math.sqrt(headDim));
        boolean bigGemma = (arch.name().equals("gemma2") && layers == 46) || (arch.name().equals("gemma3") && layers == 62);
        if (bigGemma) attnScale = (float) (1.0 / Math.sqrt((double) dim / heads)); // as gemma_pytorch does for 27B
        float attnSoftcap = md.getFloat(p + "attn_logit_softcapping", arch.defaultSoftcaps() ? 50f : 0f);
        float finalSoftcap = md.getFloat(p + "final_logit_softcapping", arch.defaultSoftcaps() ? 30f : 0f);

        float embedScale = arch.scaleEmbedding() ? (float) Math.sqrt(dim) : 1f;
        float residualScale = 1f, logitScale = 1f;
        if (arch.scaledResiduals()) {
            embedScale = md.getFloat(p + "embedding_scale", 1f);
            residualScale = md.getFloat(p + "residual_scale", 1f);
            logitScale = md.getFloat(p + "logit_scale", 1f);
            if (md.has(p + "attention.scale")) attnScale = md.getFloat(p + "attention.scale");
        }
        boolean causal = md.getBool(p + "attention.causal", !arch.encoder());
        Pooling pooling;
        try {
            pooling = md.has(p + "pooling_type") ? Pooling.ofGgufId(md.getInt(p + "pooling_type")) : arch.encoder() ? Pooling.CLS : Pooling.NONE;
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(file, e.getMessage());
        }

        check(file, dim > 0 && layers > 0 && heads > 0 && kvHeads > 0 && ffn > 0 && vocab > 0 && ctx > 0,
                "non-positive hyper-parameter (embedding_length " + dim + ", block_count " + layers + ", head_count " + heads
                        + ", head_count_kv " + kvHeads + ", feed_forward_length " + ffn + ", vocab " + vocab + ", context " + ctx + ")");
        check(file, heads % kvHeads == 0, "attention.head_count " + heads + " is not a multiple of head_count_kv " + kvHeads);
        check(file, headDim > 0 && headDimV > 0 && ropeDims > 0 && ropeDims <= headDim && ropeDims % 2 == 0,
                "rope.dimension_count " + ropeDims + " does not fit head size " + headDim);
        check(file, experts == 0 || (used > 0 && used <= experts), "expert_used_count " + used + " must be between 1 and expert_count " + experts);
        return new ModelConfig(arch, dim, layers, heads, kvHeads, headDim, headDimV, ffn, vocab, ctx, eps, theta, ropeDims, ropeScale,
                experts, used, expertFfn, sharedFfn, gating, normalize, expertScale,
                window, sliding, thetaSwa, attnScale, attnSoftcap, finalSoftcap, embedScale, residualScale, logitScale, causal, pooling,
                scaling);
    }

    private static void check(String file, boolean ok, String problem) throws ModelFileException {
        if (!ok) throw new ModelFileException(file, problem);
    }
}
