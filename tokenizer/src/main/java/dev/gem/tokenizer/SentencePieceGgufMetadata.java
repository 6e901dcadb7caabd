package dev.gem.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gem.format.GgufType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The {@code tokenizer.*} metadata convert_hf_to_gguf.py writes for a folder with a SentencePiece
 * {@code tokenizer.model} ({@code _set_vocab_sentencepiece}, or Phi-3's own variant of it): every piece with its score
 * and type, ids past the pieces as {@code [PAD<id>]}, added tokens from added_tokens.json and tokenizer_config.json's
 * added_tokens_decoder, then gguf-py's SpecialVocab. {@code tokenizer.ggml.model} is {@code llama}, which llama.cpp
 * runs as SentencePiece BPE over the scores.
 */
public final class SentencePieceGgufMetadata {
    private static final String P = "tokenizer.ggml.";
    /** Score the converter gives ids the model does not name, and tokens added on top of the SentencePiece model. */
    private static final float UNNAMED_SCORE = -10000f, ADDED_SCORE = -1000f;

    /** Which converter code path writes the vocabulary. */
    public enum Flavor {
        /** TextModel._set_vocab_sentencepiece (Llama, Mistral, Qwen2, Gemma). */
        STANDARD,
        /**
         * Phi3MiniModel.set_vocab: added tokens also come from tokenizer.json, a token is CONTROL only when marked
         * special (no look-special guess), and user-defined tokens keep their "▁".
         */
        PHI3
    }

    private final Path folder;
    private final Flavor flavor;
    private final JsonNode tokenizerConfig;
    private final int vocabSize;
    private final String[] tokens;
    private final float[] scores;
    private final int[] types;

    private SentencePieceGgufMetadata(Path folder, Flavor flavor) throws IOException {
        this.folder = folder;
        this.flavor = flavor;
        SentencePieceModel sp = SentencePieceModel.read(folder.resolve("tokenizer.model"));
        Path tc = folder.resolve("tokenizer_config.json");
        tokenizerConfig = Files.isRegularFile(tc) ? SpecialVocab.readJson(tc) : null;
        vocabSize = vocabSize(folder, sp.size(), flavor);
        tokens = new String[vocabSize];
        scores = new float[vocabSize];
        types = new int[vocabSize];
        for (int id = 0; id < vocabSize; id++) {
            tokens[id] = "[PAD" + id + "]";
            scores[id] = UNNAMED_SCORE;
            types[id] = TokenType.UNUSED.ordinal();
        }
        // Pieces past the model's vocabulary size are dropped, as the converter drops them (with a warning).
        for (int id = 0; id < Math.min(sp.size(), vocabSize); id++) {
            tokens[id] = sp.pieces.get(id);
            scores[id] = sp.scores[id];
            types[id] = typeOf(sp.types[id]).ordinal();
        }
    }

    /** The entries for a folder's tokenizer.model (with tokenizer_config.json, added_tokens.json, config.json beside it). */
    public static List<GgufEntry> entries(Path folder, Flavor flavor) throws IOException {
        return new SentencePieceGgufMetadata(folder, flavor).build();
    }

    private List<GgufEntry> build() throws IOException {
        addAddedTokensJson();
        if (tokenizerConfig != null) addDecoderTokens(tokenizerConfig.path("added_tokens_decoder"));
        if (flavor == Flavor.PHI3) addTokenizerJsonTokens();
        List<GgufEntry> out = new ArrayList<>();
        out.add(GgufEntry.of(P + "model", GgufType.STRING, "llama"));
        out.add(GgufEntry.of(P + "pre", GgufType.STRING, "default"));
        out.add(GgufEntry.array(P + "tokens", GgufType.STRING, tokens));
        out.add(GgufEntry.array(P + "scores", GgufType.FLOAT32, scores));
        out.add(GgufEntry.array(P + "token_type", GgufType.INT32, types));
        SpecialVocab.of(folder, vocabSize, SpecialVocab.DEFAULT_TYPES).addTo(out);
        return out;
    }

    /**
     * SentencePieceProcessor's IsUnknown / IsControl / IsUnused / IsByte, in the converter's order. It has no
     * IsUserDefined test, so a piece the model itself marks user-defined is written as NORMAL, as the converter does.
     */
    private static TokenType typeOf(SentencePieceModel.PieceType t) {
        return switch (t) {
            case UNKNOWN -> TokenType.UNKNOWN;
            case CONTROL -> TokenType.CONTROL;
            case UNUSED -> TokenType.UNUSED;
            case BYTE -> TokenType.BYTE;
            case NORMAL, USER_DEFINED -> TokenType.NORMAL;
        };
    }

    /** config.json's vocab_size (Gemma 3n: vocab_size_per_layer_input first), else the number of pieces. */
    private static int vocabSize(Path folder, int pieces, Flavor flavor) throws IOException {
        Path config = folder.resolve("config.json");
        if (!Files.isRegularFile(config)) return pieces;
        JsonNode c = SpecialVocab.readJson(config);
        JsonNode v = flavor == Flavor.PHI3 ? c.get("vocab_size")
                : c.hasNonNull("vocab_size_per_layer_input") ? c.get("vocab_size_per_layer_input") : c.get("vocab_size");
        if (v == null || v.isNull()) return pieces;
        if (!v.canConvertToExactIntegral() || v.asInt() <= 0) throw new IOException(config + ": vocab_size should be a positive integer but is " + v);
        return v.asInt();
    }

    /** added_tokens.json: {"text": id}, each a USER_DEFINED token. */
    private void addAddedTokensJson() throws IOException {
        Path file = folder.resolve("added_tokens.json");
        if (!Files.isRegularFile(file)) return;
        JsonNode added = SpecialVocab.readJson(file);
        for (Iterator<Map.Entry<String, JsonNode>> it = added.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            int id = e.getValue().asInt(-1);
            if (id < 0 || id >= vocabSize) continue; // the converter skips ids outside the vocabulary
            set(id, e.getKey(), TokenType.USER_DEFINED);
        }
    }

    /** tokenizer_config.json's added_tokens_decoder: {"id": {"content": ..., "special": ...}}. */
    private void addDecoderTokens(JsonNode decoder) throws IOException {
        for (Iterator<Map.Entry<String, JsonNode>> it = decoder.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            int id;
            try {
                id = Integer.parseInt(e.getKey());
            } catch (NumberFormatException bad) {
                throw new IOException(folder.resolve("tokenizer_config.json") + ": added_tokens_decoder key '" + e.getKey() + "' is not a token id");
            }
            addToken(id, e.getValue());
        }
    }

    /** Phi-3 only: tokenizer.json's added_tokens, applied after tokenizer_config.json's. */
    private void addTokenizerJsonTokens() throws IOException {
        Path file = folder.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) return;
        JsonNode added = SpecialVocab.readSections(file).addedTokens();
        if (added != null) for (JsonNode t : added) addToken(t.path("id").asInt(-1), t);
    }

    private void addToken(int id, JsonNode data) throws IOException {
        if (id < 0 || id >= vocabSize) {
            if (flavor == Flavor.PHI3) // Phi-3's converter indexes without a check and fails; say so instead
                throw new IOException(folder + ": added token id " + id + " is outside the vocabulary of " + vocabSize);
            return;
        }
        String text = data.path("content").asText();
        boolean special = data.path("special").asBoolean(false);
        if (flavor == Flavor.PHI3) {
            set(id, text, special ? TokenType.CONTROL : TokenType.USER_DEFINED);
        } else if (special || HuggingFaceGgufMetadata.looksSpecial(text)) {
            set(id, text, TokenType.CONTROL);
        } else {
            set(id, text.replace('\u2581', ' '), TokenType.USER_DEFINED); // the converter pre-normalizes "▁" to a space
        }
    }

    private void set(int id, String text, TokenType type) {
        tokens[id] = text;
        scores[id] = ADDED_SCORE;
        types[id] = type.ordinal();
    }
}
