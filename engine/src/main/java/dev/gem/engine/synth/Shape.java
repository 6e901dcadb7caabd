package dev.gem.engine.synth;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A named model shape for synthetic (random-weight) files: the hyper-parameters of a real model family, so speed
 * measured on it is representative, or a tiny one per architecture, so llama.cpp and GEM can be compared cheaply.
 *
 * @param vocab        vocabulary size the shape expects (0: whatever the tokenizer has)
 * @param experts      experts per layer (0: dense)
 * @param sharedFfn    shared-expert width (Qwen2-MoE), 0 = none
 * @param tied         output head shares the token embedding
 */
public record Shape(String name, String arch, int dim, int ffn, int layers, int heads, int kvHeads, int headDim, int vocab,
                    int experts, int expertsUsed, int sharedFfn, boolean tied, String description, boolean llama3Rope) {

    public static final Map<String, Shape> NAMED = new LinkedHashMap<>();

    private static void add(Shape s) {
        NAMED.put(s.name, s);
    }

    static {
        // real shapes, for speed
        add(new Shape("tiny", "llama", 256, 768, 4, 8, 4, 32, 0, 0, 0, 0, false, "small Llama for smoke tests", false));
        add(new Shape("llama-1b", "llama", 2048, 8192, 16, 32, 8, 64, 128256, 0, 0, 0, true, "Llama 3.2 1B", false));
        add(new Shape("llama-3b", "llama", 3072, 8192, 28, 24, 8, 128, 128256, 0, 0, 0, true, "Llama 3.2 3B", false));
        add(new Shape("qwen2.5-1.5b", "qwen2", 1536, 8960, 28, 12, 2, 128, 0, 0, 0, 0, true,
                "Qwen2.5 1.5B: rows of 1536 and 8960, not whole groups of blocks at 512 bits", false));
        add(new Shape("moe-small", "llama", 1024, 1408, 16, 16, 8, 64, 0, 32, 4, 0, false, "Mixtral layout: dim 1024, 16 layers, 32 experts, 4 used", false));
        // one tiny file per architecture, for checking GEM against llama.cpp
        add(tiny("llama", 0, 0, 0, false));
        add(tiny("llama3", 0, 0, 0, true));      // Llama 3.1 RoPE scaling via rope_freqs, tied output
        add(tiny("llama-moe", 4, 2, 0, false));
        add(tiny("qwen2", 0, 0, 0, true));
        add(tiny("qwen3", 0, 0, 0, true));
        add(tiny("qwen2moe", 4, 2, 48, false));
        add(tiny("qwen3moe", 4, 2, 0, false));
        add(tiny("olmoe", 4, 2, 0, false));
        add(tiny("phi3", 0, 0, 0, false));
        add(tiny("gemma", 0, 0, 0, true));
        add(tiny("gemma2", 0, 0, 0, true));
        add(tiny("gemma3", 0, 0, 0, true));
        add(tiny("granite", 0, 0, 0, true));
        add(new Shape("tiny-quant", "llama", 256, 256, 1, 4, 2, 64, 0, 0, 0, 0, false,
                "one Llama layer whose rows fit every block size (256), for checking each weight type against llama.cpp", false));
        add(new Shape("tiny-bert", "bert", 64, 128, 2, 4, 4, 16, 0, 0, 0, 0, false, "tiny BERT encoder", false));
    }

    private static Shape tiny(String arch, int experts, int used, int shared, boolean tied) {
        String a = arch.startsWith("llama") ? "llama" : arch;
        boolean mha = a.equals("olmoe") || a.equals("gemma");
        int headDim = a.startsWith("gemma") ? 32 : 16; // Gemma's heads are wider than dim / heads
        return new Shape("tiny-" + arch, a, 64, 96, 2, 4, mha ? 4 : 2, headDim, 0, experts, used, shared, tied, "tiny " + arch,
                arch.equals("llama3"));
    }

    public int qDim() { return heads * headDim; }

    public int kvDim() { return kvHeads * headDim; }

    public boolean moe() { return experts > 0; }

    public static String names() { return String.join(", ", NAMED.keySet()); }
}
