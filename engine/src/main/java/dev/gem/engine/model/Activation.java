package dev.gem.engine.model;

/** The nonlinearity of the feed-forward block. Gated variants multiply it by the "up" projection. */
public enum Activation {
    /** x * sigmoid(x): Llama, Qwen, Phi-3, Mixtral (SwiGLU when gated) */
    SILU,
    /** tanh-approximated GELU: Gemma (GeGLU when gated), BERT (ungated) */
    GELU
}
