package dev.gem.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gem.format.GgufType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Which of convert_hf_to_gguf.py's vocabulary paths a Hugging Face folder takes, and the per-model additions around
 * it: the model classes that try a SentencePiece {@code tokenizer.model} first (LlamaModel, Qwen2Model, Gemma, Gemma 2,
 * Phi-3 unless its tokenizer_class is GPT2Tokenizer) use it when the folder has one, otherwise the byte-level BPE
 * {@code tokenizer.json}.
 */
public final class HuggingFaceVocabulary {
    private static final String P = "tokenizer.ggml.";
    /** GGUF architectures whose converter class reads tokenizer.model when present (Qwen3 inherits Qwen2's set_vocab). */
    private static final Set<String> SENTENCEPIECE_FIRST = Set.of("llama", "qwen2", "qwen3", "gemma", "gemma2", "phi3");

    private HuggingFaceVocabulary() {}

    /** The {@code tokenizer.*} entries for the folder of a model converted to GGUF architecture {@code ggufArch}. */
    public static List<GgufEntry> entries(Path folder, String ggufArch) throws IOException {
        Path spm = folder.resolve("tokenizer.model"), json = folder.resolve("tokenizer.json"), tc = folder.resolve("tokenizer_config.json");
        JsonNode config = Files.isRegularFile(tc) ? SpecialVocab.readJson(tc) : null;
        boolean phi4 = ggufArch.equals("phi3") && config != null && "GPT2Tokenizer".equals(config.path("tokenizer_class").asText(null));
        List<GgufEntry> out = new ArrayList<>();
        if (ggufArch.equals("llama") && config != null && config.path("add_prefix_space").isBoolean())
            out.add(GgufEntry.of(P + "add_space_prefix", GgufType.BOOL, config.get("add_prefix_space").asBoolean()));
        if (SENTENCEPIECE_FIRST.contains(ggufArch) && !phi4 && Files.isRegularFile(spm)) {
            var flavor = ggufArch.equals("phi3") ? SentencePieceGgufMetadata.Flavor.PHI3 : SentencePieceGgufMetadata.Flavor.STANDARD;
            out.addAll(SentencePieceGgufMetadata.entries(folder, flavor));
        } else if (Files.isRegularFile(json)) {
            // (the converter's Gemma 1/2 and Phi-3 classes would fail here; GEM reads the tokenizer.json, as Gemma 3's does)
            out.addAll(HuggingFaceGgufMetadata.entries(json));
        } else {
            throw new IOException(folder + ": has neither tokenizer.model (SentencePiece) nor tokenizer.json (byte-level BPE); copy the"
                    + " tokenizer files of the model into the folder");
        }
        modelSpecific(folder, ggufArch, out);
        return out;
    }

    /** What LlamaModel (CodeLlama, small Granite) and GemmaModel / Gemma2Model write after the vocabulary. */
    private static void modelSpecific(Path folder, String arch, List<GgufEntry> out) throws IOException {
        Path configJson = folder.resolve("config.json");
        JsonNode vocabSize = Files.isRegularFile(configJson) ? SpecialVocab.readJson(configJson).get("vocab_size") : null;
        int n = vocabSize != null && vocabSize.canConvertToExactIntegral() ? vocabSize.asInt() : 32000; // hparams.get("vocab_size", 32000)
        switch (arch) {
            case "llama" -> {
                if (n == 32016) fixedIds(folder, out, List.of("prefix", "suffix", "middle", "eot"), 32007, 32008, 32009, 32010); // CodeLlama
                if (n == 49152) put(out, GgufEntry.of(P + "add_bos_token", GgufType.BOOL, false)); // small Granite
            }
            case "gemma" -> {
                fixedIds(folder, out, List.of("prefix", "suffix", "middle", "fsep", "eot"), 67, 69, 68, 70, 107); // CodeGemma's
                put(out, GgufEntry.of(P + "add_space_prefix", GgufType.BOOL, false));
            }
            case "gemma2" -> put(out, GgufEntry.of(P + "add_space_prefix", GgufType.BOOL, false));
            default -> { }
        }
    }

    /**
     * A second SpecialVocab over extra types with fallback ids, its template cleared. gguf-py has writers only for the
     * EOT id among these (prefix/suffix/middle/fsep are skipped with a warning), so only that one lands in the file.
     */
    private static void fixedIds(Path folder, List<GgufEntry> out, List<String> types, int... ids) throws IOException {
        SpecialVocab v = SpecialVocab.of(folder, -1, types);
        for (int i = 0; i < ids.length; i++) v.setSpecialToken(types.get(i), ids[i]);
        List<GgufEntry> extra = new ArrayList<>();
        v.addTo(extra, false);
        for (GgufEntry e : extra) put(out, e);
    }

    /** gguf-py overwrites a key written twice; keep the first position, as a map would. */
    private static void put(List<GgufEntry> out, GgufEntry e) {
        for (int i = 0; i < out.size(); i++) {
            if (out.get(i).key().equals(e.key())) {
                out.set(i, e);
                return;
            }
        }
        out.add(e);
    }
}
