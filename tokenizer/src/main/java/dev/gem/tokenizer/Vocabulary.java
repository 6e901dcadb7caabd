package dev.gem.tokenizer;

import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Token texts, scores and types, the special-token ids and the end-of-generation set. Loaders fill the ids and flags,
 * then call {@link #resolveEndOfGeneration()} once.
 */
final class Vocabulary {
    private static final System.Logger LOG = System.getLogger("dev.gem.tokenizer");

    /** Texts llama.cpp takes for the end-of-turn token when the file names none (first match in this order wins). */
    private static final List<String> EOT_TEXTS = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>");
    /** Texts llama.cpp treats as ending generation whatever the ids in the file say. */
    private static final List<String> EOG_TEXTS = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
            "<end_of_utterance>", "<｜end▁of▁sentence｜>");

    final String source;
    private final String[] texts;
    private final float[] scores;
    private final TokenType[] types;
    private final Map<String, Integer> ids;
    private final BitSet lstrip = new BitSet();
    private final BitSet rstrip = new BitSet();
    private final BitSet endOfGeneration = new BitSet();
    private final int maxTokenLength;

    int bos = -1, eos = -1, eot = -1, eom = -1, unk = -1, pad = -1, sep = -1;
    boolean addBos, addEos, addSep;

    /** @param source the file the vocabulary came from, for messages */
    Vocabulary(String source, String[] texts, float[] scores, TokenType[] types) {
        this.source = source;
        this.texts = texts;
        this.scores = scores;
        this.types = types;
        this.ids = HashMap.newHashMap(texts.length);
        int longest = 0, duplicates = 0;
        for (int id = 0; id < texts.length; id++) {
            if (texts[id] == null || texts[id].isEmpty()) texts[id] = "[EMPTY_" + id + "]";
            if (ids.putIfAbsent(texts[id], id) != null) duplicates++;
            longest = Math.max(longest, texts[id].length());
        }
        if (duplicates > 0) LOG.log(System.Logger.Level.WARNING, "{0}: {1} duplicate token texts; the lowest id is used", source, duplicates);
        maxTokenLength = longest;
    }

    int size() { return texts.length; }

    String text(int id) { return texts[id]; }

    float score(int id) { return scores[id]; }

    TokenType type(int id) { return types[id]; }

    void setType(int id, TokenType type) { types[id] = type; }

    /** The id of a token text, or -1. */
    int id(String text) {
        Integer id = ids.get(text);
        return id == null ? -1 : id;
    }

    int maxTokenLength() { return maxTokenLength; }

    boolean valid(int id) { return id >= 0 && id < texts.length; }

    /** Marks a special token as swallowing the ASCII whitespace before (lstrip) or after (rstrip) it in a prompt. */
    void setStrip(int id, boolean left, boolean right) {
        lstrip.set(id, left);
        rstrip.set(id, right);
    }

    boolean lstrip(int id) { return lstrip.get(id); }

    boolean rstrip(int id) { return rstrip.get(id); }

    boolean isEndOfGeneration(int id) { return id >= 0 && endOfGeneration.get(id); }

    /**
     * llama.cpp's heuristics: find EOT/EOM by text when the file does not give them, then collect every token that
     * ends a turn. Tokens found by their text become CONTROL if they were not, so they are neither rendered nor
     * matched in a prompt unless special tokens are asked for.
     */
    void resolveEndOfGeneration() {
        if (eot < 0) eot = firstPresent(EOT_TEXTS);
        if (eom < 0) eom = id("<|eom_id|>");
        for (String text : EOG_TEXTS) {
            int id = id(text);
            // Unlike llama.cpp, a "</s>" that is an ordinary BPE token (Qwen has one: HTML's strikethrough end tag) is
            // left alone; stopping on it, or matching it as a special token, would diverge from Hugging Face.
            if (id < 0 || (text.equals("</s>") && types[id] == TokenType.NORMAL)) continue;
            endOfGeneration.set(id);
            if (types[id] != TokenType.CONTROL) {
                LOG.log(System.Logger.Level.DEBUG, "{0}: end-of-generation token {1} ''{2}'' was {3}; treating it as CONTROL",
                        source, id, text, types[id]);
                types[id] = TokenType.CONTROL;
            }
        }
        for (int id : new int[] {eos, eot, eom}) if (valid(id)) endOfGeneration.set(id);
    }

    private int firstPresent(List<String> candidates) {
        for (String text : candidates) {
            int id = id(text);
            if (id >= 0) return id;
        }
        return -1;
    }
}
