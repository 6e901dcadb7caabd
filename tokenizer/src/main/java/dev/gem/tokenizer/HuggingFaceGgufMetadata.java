package dev.gem.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gem.format.GgufType;
import dev.gem.format.Metadata;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code tokenizer.*} GGUF metadata llama.cpp's convert_hf_to_gguf.py writes for a byte-level BPE
 * {@code tokenizer.json} (its {@code _set_vocab_gpt2}: get_vocab_base, then gguf-py's SpecialVocab), in the order it
 * writes them. Files read beside the tokenizer.json, as the converter reads them from the model folder:
 * tokenizer_config.json (special tokens, add_*_token, chat template), chat_template.jinja / chat_template.json
 * (template, when the config has none) and config.json (vocab_size and *_token_id).
 *
 * <p>Added tokens are written as their content: the converter's decode(encode(token)) round trip for non-normalized
 * added tokens gives the content back, since such a token is matched whole.
 */
public final class HuggingFaceGgufMetadata {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String P = "tokenizer.ggml.";

    private final HuggingFaceTokenizerReader hf;
    private final Path folder;
    private final JsonNode modelConfig;

    private HuggingFaceGgufMetadata(Path tokenizerJson) throws IOException {
        hf = HuggingFaceTokenizerReader.parse(tokenizerJson);
        folder = tokenizerJson.toAbsolutePath().getParent();
        Path configJson = folder.resolve("config.json");
        modelConfig = Files.isRegularFile(configJson) ? JSON.readTree(configJson.toFile()) : JSON.createObjectNode();
    }

    /** The entries for a tokenizer.json; the vocabulary size is config.json's vocab_size, else the tokenizer's own. */
    public static List<GgufEntry> entries(Path tokenizerJson) throws IOException {
        return entries(tokenizerJson, -1);
    }

    /**
     * @param vocabSize the model's vocabulary size (ids the tokenizer does not name become {@code [PAD<id>]}, UNUSED);
     *                  -1 for config.json's vocab_size, else the number of tokens the tokenizer has
     */
    public static List<GgufEntry> entries(Path tokenizerJson, int vocabSize) throws IOException {
        return new HuggingFaceGgufMetadata(tokenizerJson).build(vocabSize);
    }

    /** The entries as an in-memory {@link Metadata}, e.g. for {@link Tokenizer#fromGguf}. */
    public static Metadata toMetadata(List<GgufEntry> entries, String name) {
        Metadata md = new Metadata(name);
        for (GgufEntry e : entries) e.putInto(md);
        return md;
    }

    private List<GgufEntry> build(int vocabSize) throws IOException {
        if (!"BPE".equals(hf.modelType)) throw new IOException(hf.source + ": only BPE tokenizer.json files convert to GGUF 'gpt2' (found " + hf.modelType + ")");
        List<GgufEntry> out = new ArrayList<>();
        String pre = PreTokenizerName.detect(hf.tokenizer(), hf.splitRegexes(), hf.source).name();
        out.add(GgufEntry.of(P + "model", GgufType.STRING, "gpt2"));
        out.add(GgufEntry.of(P + "pre", GgufType.STRING, pre));
        addTokens(out, vocabSize);
        out.add(GgufEntry.array(P + "merges", GgufType.STRING, merges()));
        var tokenizerJson = new SpecialVocab.TokenizerJson(hf.addedTokens, hf.postProcessor, hf.normalizer);
        new SpecialVocab(folder, tokenizerJson, true, hf.config, -1, SpecialVocab.DEFAULT_TYPES).addTo(out);
        return out;
    }

    /** get_vocab_base: every id below the vocabulary size, holes as "[PAD<id>]". */
    private void addTokens(List<GgufEntry> out, int vocabSize) throws IOException {
        int[] ids = hf.vocabIds.toArray();
        Map<Integer, JsonNode> added = new LinkedHashMap<>();
        if (hf.addedTokens != null) for (JsonNode t : hf.addedTokens) added.put(t.path("id").asInt(), t);
        java.util.BitSet named = new java.util.BitSet();
        int maxId = -1;
        for (int id : ids) { named.set(id); maxId = Math.max(maxId, id); }
        for (int id : added.keySet()) { named.set(id); maxId = Math.max(maxId, id); }
        int size = vocabSize >= 0 ? vocabSize : modelConfig.path("vocab_size").isInt() ? modelConfig.get("vocab_size").asInt() : named.cardinality();
        if (maxId >= size) throw new IOException(hf.source + ": token id " + maxId + " is not below the vocabulary size " + size);

        String[] texts = new String[size];
        int[] types = new int[size];
        for (int i = 0; i < ids.length; i++) {
            texts[ids[i]] = hf.vocabTexts.get(i);
            types[ids[i]] = TokenType.NORMAL.ordinal();
        }
        for (var e : added.entrySet()) {
            String text = e.getValue().path("content").asText();
            boolean control = e.getValue().path("special").asBoolean() || looksSpecial(text);
            // The converter writes user-defined tokens with SentencePiece's "▁" as a real space (added for Gemma).
            texts[e.getKey()] = control ? text : text.replace('\u2581', ' ');
            types[e.getKey()] = (control ? TokenType.CONTROL : TokenType.USER_DEFINED).ordinal();
        }
        for (int id = 0; id < size; id++) {
            if (texts[id] != null) continue;
            texts[id] = "[PAD" + id + "]";
            types[id] = TokenType.UNUSED.ordinal();
        }
        out.add(GgufEntry.array(P + "tokens", GgufType.STRING, texts));
        out.add(GgufEntry.array(P + "token_type", GgufType.INT32, types));
    }

    /** The converter's does_token_look_special: added tokens some models forget to mark special. */
    static boolean looksSpecial(String t) {
        return t.equals("<pad>") || t.equals("<mask>") || t.equals("<2mass>") || t.equals("[@BOS@]")
                || (t.startsWith("<|") && t.endsWith("|>")) || (t.startsWith("<\uFF5C") && t.endsWith("\uFF5C>"))
                || (t.startsWith("<unused") && t.endsWith(">"));
    }

    /** "left right"; in pair-form merges a space inside a token is written as U+0120, as gguf-py does. */
    private String[] merges() {
        String[] lines = new String[hf.merges.size() / 2];
        for (int i = 0; i < lines.length; i++) {
            String left = hf.merges.get(2 * i), right = hf.merges.get(2 * i + 1);
            if (hf.mergesAsPairs) {
                left = left.replace(' ', '\u0120');
                right = right.replace(' ', '\u0120');
            }
            lines[i] = left + " " + right;
        }
        return lines;
    }
}
