package dev.gem.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds special tokens written literally in a prompt and cuts the prompt into text fragments and token ids.
 * CONTROL and UNKNOWN tokens are matched only when the caller asks; USER_DEFINED ones always are (as in llama.cpp and
 * Hugging Face, where added non-special tokens are split out before the model sees the text). At each position the
 * longest matching token wins; the scan is left to right.
 */
final class SpecialTokenMatcher {
    /** A piece of prompt text to tokenize ({@code token < 0}), or a special token id. */
    record Fragment(String text, int token) {
        boolean isToken() { return token >= 0; }
    }

    private final Vocabulary vocab;
    /** Candidate ids by their first character, longest text first. */
    private final Map<Character, int[]> byFirstChar = new HashMap<>();

    SpecialTokenMatcher(Vocabulary vocab) {
        this.vocab = vocab;
        Map<Character, List<Integer>> lists = new HashMap<>();
        for (int id = 0; id < vocab.size(); id++) {
            if (vocab.type(id).isSpecial()) lists.computeIfAbsent(vocab.text(id).charAt(0), c -> new ArrayList<>()).add(id);
        }
        lists.forEach((c, ids) -> byFirstChar.put(c, ids.stream()
                .sorted((a, b) -> Integer.compare(vocab.text(b).length(), vocab.text(a).length()))
                .mapToInt(Integer::intValue).toArray()));
    }

    List<Fragment> split(String text, boolean parseSpecial) {
        List<Fragment> out = new ArrayList<>();
        int textStart = 0, i = 0, n = text.length();
        while (i < n) {
            int token = match(text, i, parseSpecial);
            if (token < 0) {
                i++;
                continue;
            }
            int textEnd = i;
            if (vocab.lstrip(token)) while (textEnd > textStart && isAsciiSpace(text.charAt(textEnd - 1))) textEnd--;
            if (textEnd > textStart) out.add(new Fragment(text.substring(textStart, textEnd), -1));
            out.add(new Fragment(null, token));
            i += vocab.text(token).length();
            if (vocab.rstrip(token)) while (i < n && isAsciiSpace(text.charAt(i))) i++;
            textStart = i;
        }
        if (textStart < n) out.add(new Fragment(text.substring(textStart), -1));
        return out;
    }

    private int match(String text, int at, boolean parseSpecial) {
        int[] candidates = byFirstChar.get(text.charAt(at));
        if (candidates == null) return -1;
        for (int id : candidates) {
            if (!parseSpecial && vocab.type(id) != TokenType.USER_DEFINED) continue;
            if (text.startsWith(vocab.text(id), at)) return id;
        }
        return -1;
    }

    /** C's isspace, which llama.cpp uses for lstrip/rstrip. */
    private static boolean isAsciiSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }
}
