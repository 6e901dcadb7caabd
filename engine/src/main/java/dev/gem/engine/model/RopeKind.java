package dev.gem.engine.model;

/** How rotary position embedding pairs up the dimensions of a head. */
public enum RopeKind {
    /** Adjacent pairs (x[2i], x[2i+1]): Llama as stored in GGUF (the converter permutes Q/K for it). */
    INTERLEAVED,
    /** Pairs half a rotation apart (x[i], x[i + n/2]): GPT-NeoX, Qwen, Phi-3, Gemma. */
    NEOX
}
