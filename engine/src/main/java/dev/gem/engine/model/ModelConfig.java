package dev.gem.engine.model;

import dev.gem.format.Metadata;
import dev.gem.format.ModelFileException;

/**
 * The hyper-parameters of a decoder, read from GGUF metadata under the architecture's key prefix
 * ({@code llama.embedding_length} and so on).
 *
 * @param headDim      size of one query/key head ({@code attention.key_length}, default dim / heads)
 * @param ropeDims     how many dimensions of each head are rotated ({@code rope.dimension_count}, default headDim)
 * @param ropeScale    linear position scale (1 / {@code rope.scaling.factor} for linear scaling, else 1)
 */
public record ModelConfig(
        Architecture arch,
        int dim,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int ffnDim,
        int vocab,
        int contextLength,
        float normEps,
        float ropeTheta,
        int ropeDims,
        float ropeScale) {

    public int kvDim() { return kvHeads * headDim; }

    public int qDim() { return heads * headDim; }

    public static ModelConfig read(Metadata md, Architecture arch, int vocabFallback) throws ModelFileException {
        String p = md.getString("general.architecture") + ".";
        int dim = md.getInt(p + "embedding_length");
        int layers = md.getInt(p + "block_count");
        int heads = md.getInt(p + "attention.head_count");
        int kvHeads = md.getInt(p + "attention.head_count_kv", heads);
        int headDim = md.getInt(p + "attention.key_length", heads == 0 ? 0 : dim / heads);
        int ffn = md.getInt(p + "feed_forward_length");
        int vocab = md.getInt(p + "vocab_size", vocabFallback);
        int ctx = md.getInt(p + "context_length", 2048);
        float eps = md.getFloat(p + "attention.layer_norm_rms_epsilon", 1e-5f);
        float theta = md.getFloat(p + "rope.freq_base", 10000f);
        int ropeDims = md.getInt(p + "rope.dimension_count", headDim);
        float scale = 1f;
        String scaling = md.getString(p + "rope.scaling.type", "none");
        if (scaling.equals("linear")) {
            float f = md.getFloat(p + "rope.scaling.factor", 1f);
            if (f > 0) scale = 1f / f;
        }
        String file = md.file();
        check(file, dim > 0 && layers > 0 && heads > 0 && kvHeads > 0 && ffn > 0 && vocab > 0 && ctx > 0,
                "non-positive hyper-parameter (embedding_length " + dim + ", block_count " + layers + ", head_count " + heads
                        + ", head_count_kv " + kvHeads + ", feed_forward_length " + ffn + ", vocab " + vocab + ", context " + ctx + ")");
        check(file, heads % kvHeads == 0, "attention.head_count " + heads + " is not a multiple of head_count_kv " + kvHeads);
        check(file, headDim > 0 && ropeDims > 0 && ropeDims <= headDim && ropeDims % 2 == 0,
                "rope.dimension_count " + ropeDims + " does not fit head size " + headDim);
        return new ModelConfig(arch, dim, layers, heads, kvHeads, headDim, ffn, vocab, ctx, eps, theta, ropeDims, scale);
    }

    private static void check(String file, boolean ok, String problem) throws ModelFileException {
        if (!ok) throw new ModelFileException(file, problem);
    }
}
