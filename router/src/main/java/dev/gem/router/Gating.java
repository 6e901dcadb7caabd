package dev.gem.router;

/** How a mixture-of-experts router turns its logits into expert probabilities. */
public enum Gating {
    /** softmax over all experts (Mixtral, Qwen MoE, OLMoE) */
    SOFTMAX,
    /** independent sigmoid per expert (DeepSeek-V3 style) */
    SIGMOID;

    /** GGUF's {@code expert_gating_func} values: 1 = softmax, 2 = sigmoid. */
    public static Gating ofGgufId(int id) {
        return switch (id) {
            case 1 -> SOFTMAX;
            case 2 -> SIGMOID;
            default -> throw new IllegalArgumentException("unknown expert gating function id " + id + " (1 = softmax, 2 = sigmoid)");
        };
    }
}
