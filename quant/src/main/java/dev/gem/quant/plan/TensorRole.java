package dev.gem.quant.plan;

/**
 * What a tensor does in a model, read off its GGUF name: the unit precision plans decide by. Names follow llama.cpp
 * ({@code token_embd.weight}, {@code blk.3.attn_q.weight}, {@code blk.3.ffn_gate_exps.weight}, ...).
 */
public enum TensorRole {
    TOKEN_EMBEDDING, OUTPUT, ATTENTION, FEED_FORWARD, EXPERTS, ROUTER, NORM, BIAS, POSITION, OTHER;

    public static TensorRole of(String name) {
        if (name.endsWith(".bias")) return BIAS;
        if (name.contains("_norm.") || name.contains("norm.weight")) return NORM;
        if (name.contains("ffn_gate_inp")) return ROUTER; // MoE router and the shared expert's sigmoid gate
        if (name.equals("token_embd.weight")) return TOKEN_EMBEDDING;
        if (name.equals("output.weight")) return OUTPUT;
        if (name.startsWith("position_embd.") || name.startsWith("token_types.")) return POSITION;
        if (name.contains("_exps.")) return EXPERTS;
        if (name.contains(".ffn_")) return FEED_FORWARD;
        if (name.contains(".attn_")) return ATTENTION;
        return OTHER;
    }

    /**
     * Whether llama-quantize would quantize a tensor of this role and rank at all: matrices only (2-D, or 3-D expert
     * stacks), never norms, biases, routers or position tables, which are small and precision-critical.
     */
    public boolean quantizable(int rank) {
        return rank >= 2 && this != NORM && this != BIAS && this != ROUTER && this != POSITION;
    }

    /** The layer a name belongs to ({@code blk.N.}), or -1 for global tensors. */
    public static int layerOf(String name) {
        if (!name.startsWith("blk.")) return -1;
        int dot = name.indexOf('.', 4);
        try {
            return dot < 0 ? -1 : Integer.parseInt(name.substring(4, dot));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
