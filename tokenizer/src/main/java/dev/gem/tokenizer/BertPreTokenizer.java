package dev.gem.tokenizer;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * BERT's basic tokenization, in Hugging Face's order (BertNormalizer, then BertPreTokenizer): control and format
 * characters are dropped, other whitespace becomes a space, CJK ideographs are set apart; optionally the text is
 * NFD-decomposed with non-spacing marks removed (strip accents) and lowercased; then it is split on whitespace with
 * every punctuation mark and ASCII symbol a word of its own.
 *
 * <p>Two places where this follows Hugging Face (whose output the test vectors are) rather than llama.cpp's
 * preprocess: U+000B, U+000C and U+0085 are controls, deleted, not word breaks; and only non-spacing marks (Mn) are
 * stripped, so spacing vowel signs (Mc) of Indic scripts stay.
 */
final class BertPreTokenizer {
    private final boolean lowercase;
    private final boolean stripAccents;

    BertPreTokenizer(boolean lowercase, boolean stripAccents) {
        this.lowercase = lowercase;
        this.stripAccents = stripAccents;
    }

    List<String> split(String text) {
        String s = normalize(text);
        List<String> words = new ArrayList<>();
        int wordStart = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i), next = i + Character.charCount(cp);
            if (cp == ' ' || isWhitespace(cp)) {
                add(s, wordStart, i, words);
                wordStart = next;
            } else if (isPunctuation(cp)) {
                add(s, wordStart, i, words);
                add(s, i, next, words);
                wordStart = next;
            }
            i = next;
        }
        add(s, wordStart, s.length(), words);
        return words;
    }

    private String normalize(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == 0 || cp == 0xFFFD || isControl(cp)) continue;
            if (isWhitespace(cp)) sb.append(' ');
            else if (isChinese(cp)) sb.append(' ').appendCodePoint(cp).append(' ');
            else sb.appendCodePoint(cp);
        }
        String s = sb.toString();
        if (stripAccents) {
            String nfd = Normalizer.normalize(s, Normalizer.Form.NFD);
            sb.setLength(0);
            nfd.codePoints().filter(cp -> Character.getType(cp) != Character.NON_SPACING_MARK).forEach(sb::appendCodePoint);
            s = sb.toString();
        }
        return lowercase ? s.toLowerCase(Locale.ROOT) : s;
    }

    private static void add(String s, int from, int to, List<String> words) {
        if (to > from) words.add(s.substring(from, to));
    }

    /** Tab, newline and carriage return count as whitespace, not controls. */
    private static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') return false;
        int type = Character.getType(cp);
        return type == Character.CONTROL || type == Character.FORMAT || type == Character.PRIVATE_USE
                || type == Character.SURROGATE || type == Character.UNASSIGNED;
    }

    /** Unicode White_Space (the controls among it are gone by the time this is asked, except tab, LF and CR). */
    private static boolean isWhitespace(int cp) {
        return cp == '\t' || cp == '\n' || cp == '\r' || Character.isSpaceChar(cp);
    }

    /** ASCII punctuation and symbols, and Unicode punctuation of any kind. */
    private static boolean isPunctuation(int cp) {
        if (cp < 0x80) return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
        int type = Character.getType(cp);
        return type == Character.CONNECTOR_PUNCTUATION || type == Character.DASH_PUNCTUATION
                || type == Character.START_PUNCTUATION || type == Character.END_PUNCTUATION
                || type == Character.INITIAL_QUOTE_PUNCTUATION || type == Character.FINAL_QUOTE_PUNCTUATION
                || type == Character.OTHER_PUNCTUATION;
    }

    /** The CJK blocks BERT isolates (with the 0x2B920 bound Hugging Face's code has instead of 0x2B820). */
    private static boolean isChinese(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
