package dev.gem.tokenizer;

import dev.gem.format.GgufType;
import dev.gem.format.Metadata;

/** Small in-memory GGUF tokenizer metadata for tests that need a vocabulary shaped just so. */
final class SyntheticVocab {
    private SyntheticVocab() {}

    /** An SPM vocabulary: the given tokens with scores and types, plus byte tokens for every byte. */
    static Metadata spm(String[] tokens, float[] scores, int[] types) {
        int n = tokens.length;
        String[] all = new String[n + 256];
        float[] allScores = new float[n + 256];
        int[] allTypes = new int[n + 256];
        System.arraycopy(tokens, 0, all, 0, n);
        System.arraycopy(scores, 0, allScores, 0, n);
        System.arraycopy(types, 0, allTypes, 0, n);
        for (int b = 0; b < 256; b++) {
            all[n + b] = String.format("<0x%02X>", b);
            allTypes[n + b] = 6;
        }
        Metadata md = new Metadata("synthetic.gguf");
        md.put("tokenizer.ggml.model", GgufType.STRING, "llama");
        md.putArray("tokenizer.ggml.tokens", GgufType.STRING, all);
        md.putArray("tokenizer.ggml.scores", GgufType.FLOAT32, allScores);
        md.putArray("tokenizer.ggml.token_type", GgufType.INT32, allTypes);
        return md;
    }
}
