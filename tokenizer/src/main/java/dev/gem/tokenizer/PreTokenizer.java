package dev.gem.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into the pieces BPE merges within. Each pattern in turn splits every piece further; text between
 * matches is kept as a piece of its own (Hugging Face's "Isolated" split, and what llama.cpp's regex split does), so
 * nothing is ever dropped.
 *
 * <p>Patterns are compiled with UNICODE_CHARACTER_CLASS so that {@code \s} is Unicode White_Space, as it is in the
 * Oniguruma engine Hugging Face uses; without it Java's {@code \s} is ASCII-only and U+3000 or U+00A0 would split
 * differently.
 */
final class PreTokenizer {
    /** Hugging Face's GPT-2 ByteLevel regex. */
    static final String GPT2 =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    /** Llama 3 (tiktoken cl100k style): case-insensitive contractions, numbers in groups of up to three. */
    static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** Qwen2/2.5/3: Llama 3's regex with single digits. */
    static final String QWEN2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** The pre-tokenizers llama.cpp selects by {@code tokenizer.ggml.pre}. */
    enum Style {
        GPT2(PreTokenizer.GPT2),
        LLAMA3(PreTokenizer.LLAMA3),
        QWEN2(PreTokenizer.QWEN2),
        /** StarCoder and relatives: every digit alone, then GPT-2. */
        DIGITS_THEN_GPT2("\\p{N}", PreTokenizer.GPT2),
        /** llama.cpp's fallback for BPE files converted without a pre-tokenizer name. */
        DEFAULT("[\\p{P}\\$\\+<=>\\^~\\|]+", PreTokenizer.GPT2, "\\p{N}+", "[0-9][0-9][0-9]");

        final List<String> regexes;

        Style(String... regexes) { this.regexes = List.of(regexes); }

        /** The style for a GGUF pre-tokenizer name, or null when GEM does not know the name. */
        static Style ofName(String name) {
            return switch (name) {
                case "default" -> DEFAULT;
                case "llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral", "dbrx", "smaug-bpe" -> LLAMA3;
                case "qwen2", "deepseek-r1-qwen", "stablelm2", "megrez", "hunyuan" -> QWEN2;
                case "gpt-2", "phi-2", "mpt", "olmo", "jais", "jina-es", "jina-de", "jina-v1-en", "jina-v2-es",
                     "jina-v2-de", "jina-v2-code", "roberta-bpe", "gigachat", "trillion", "exaone4" -> GPT2;
                case "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b" -> DIGITS_THEN_GPT2;
                default -> null;
            };
        }
    }

    private final List<Pattern> patterns;

    PreTokenizer(List<String> regexes) {
        patterns = regexes.stream().map(r -> Pattern.compile(r, Pattern.UNICODE_CHARACTER_CLASS)).toList();
    }

    PreTokenizer(Style style) { this(style.regexes); }

    List<String> split(String text) {
        List<String> pieces = List.of(text);
        for (Pattern pattern : patterns) {
            List<String> next = new ArrayList<>(pieces.size() * 2);
            for (String piece : pieces) splitInto(pattern.matcher(piece), piece, next);
            pieces = next;
        }
        return pieces;
    }

    private static void splitInto(Matcher m, String piece, List<String> out) {
        int last = 0;
        while (m.find()) {
            if (m.end() == m.start()) continue;
            if (m.start() > last) out.add(piece.substring(last, m.start()));
            out.add(piece.substring(m.start(), m.end()));
            last = m.end();
        }
        if (last < piece.length()) out.add(piece.substring(last));
    }
}
