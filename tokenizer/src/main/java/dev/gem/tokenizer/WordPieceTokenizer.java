package dev.gem.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * WordPiece as llama.cpp runs it on GGUF BERT vocabularies ({@code tokenizer.ggml.model = bert}). The converter stores
 * word-initial pieces with a '▁' prefix and "##" continuations bare, so each pre-token gets a '▁' and is then covered
 * greedily by the longest vocabulary entries from left to right; a word that cannot be covered becomes [UNK] whole.
 * Pre-tokenization and the word-length limit follow Hugging Face where llama.cpp differs (see {@link BertPreTokenizer}).
 */
final class WordPieceTokenizer extends BaseTokenizer {
    /** Hugging Face's max_input_chars_per_word: longer words are [UNK] without trying (llama.cpp lacks this). */
    private static final int MAX_WORD_CHARS = 100;

    private final BertPreTokenizer preTokenizer;

    WordPieceTokenizer(Vocabulary vocab, BertPreTokenizer preTokenizer) {
        super(vocab);
        this.preTokenizer = preTokenizer;
    }

    @Override
    void encodeText(String text, boolean afterSpecial, IdBuffer out) {
        List<String> words = preTokenizer.split(text);
        for (String word : words) {
            if (word.codePointCount(0, word.length()) > MAX_WORD_CHARS) {
                if (vocab.unk >= 0) out.add(vocab.unk);
            } else {
                encodeWord("▁" + word, out);
            }
        }
    }

    private void encodeWord(String word, IdBuffer out) {
        int n = word.length(), maxLength = vocab.maxTokenLength();
        IdBuffer pieces = new IdBuffer();
        for (int i = 0; i < n; ) {
            int found = -1, end = Math.min(n, i + maxLength);
            for (; end > i; end--) {
                found = vocab.id(word.substring(i, end));
                if (found >= 0) break;
            }
            if (found < 0) {
                if (vocab.unk >= 0) out.add(vocab.unk);
                return;
            }
            pieces.add(found);
            i = end;
        }
        for (int id : pieces.toArray()) out.add(id);
    }

    @Override
    byte[] normalPiece(int id) {
        return vocab.text(id).replace('▁', ' ').getBytes(StandardCharsets.UTF_8);
    }

    @Override
    boolean stripsLeadingSpace() { return true; }

    /**
     * llama.cpp's clean-up for WordPiece (Hugging Face's clean_up_tokenization_spaces): BERT splits off punctuation, so
     * " ," " ." " ?" " !" lose their space, " ' " closes up and " 's" " 'm" " 're" " 've" attach to the word before.
     */
    @Override
    String finishDecoded(String text) {
        String s = text.replace(" ?", "?").replace(" !", "!").replace(" .", ".").replace(" ,", ",").replace(" ' ", "'");
        return s.replace(" 's", "'s").replace(" 'm", "'m").replace(" 're", "'re").replace(" 've", "'ve");
    }
}
