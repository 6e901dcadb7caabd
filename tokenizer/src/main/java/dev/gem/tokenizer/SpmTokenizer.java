package dev.gem.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.PriorityQueue;

/**
 * SentencePiece-style BPE over a GGUF vocabulary ({@code tokenizer.ggml.model = llama}), merged exactly as llama.cpp's
 * llm_tokenizer_spm: spaces become '▁', a '▁' is put before the text (when add_space_prefix holds and the fragment
 * starts the prompt or follows a special token), the text is cut into characters, and the adjacent pair whose joined
 * text is the best-scoring token is merged, again and again (ties go to the leftmost pair). Characters left that are
 * not tokens fall back to their UTF-8 bytes as {@code <0xNN>} tokens.
 */
final class SpmTokenizer extends BaseTokenizer {
    private static final char SPACE = '▁';

    private final boolean addSpacePrefix;
    private final int[] byteTokens = new int[256];

    SpmTokenizer(Vocabulary vocab, boolean addSpacePrefix) {
        super(vocab);
        this.addSpacePrefix = addSpacePrefix;
        for (int b = 0; b < 256; b++) byteTokens[b] = byteToken(b);
    }

    private record Bigram(float score, int left, int right, int length) {}

    @Override
    void encodeText(String fragment, boolean afterSpecial, IdBuffer out) {
        String text = (addSpacePrefix && afterSpecial ? " " + fragment : fragment).replace(' ', SPACE);
        int n = text.codePointCount(0, text.length());
        // symbol i covers text[start[i], start[i] + length[i]); merged-away symbols have length 0
        int[] start = new int[n], length = new int[n], prev = new int[n], next = new int[n];
        for (int i = 0, at = 0; i < n; i++) {
            start[i] = at;
            length[i] = Character.charCount(text.codePointAt(at));
            at += length[i];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) ->
                a.score != b.score ? Float.compare(b.score, a.score) : Integer.compare(a.left, b.left));
        for (int i = 1; i < n; i++) offer(queue, text, start, length, i - 1, i);
        while (!queue.isEmpty()) {
            Bigram bigram = queue.poll();
            int left = bigram.left, right = bigram.right;
            if (length[left] == 0 || length[right] == 0 || length[left] + length[right] != bigram.length) continue; // stale
            length[left] += length[right];
            length[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            if (prev[left] >= 0) offer(queue, text, start, length, prev[left], left);
            if (next[left] >= 0) offer(queue, text, start, length, left, next[left]);
        }
        for (int i = 0; i >= 0 && n > 0; i = next[i]) {
            String symbol = text.substring(start[i], start[i] + length[i]);
            int id = vocab.id(symbol);
            if (id >= 0) {
                out.add(id);
                continue;
            }
            for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) {
                int byteId = byteTokens[b & 0xFF] >= 0 ? byteTokens[b & 0xFF] : vocab.unk;
                if (byteId >= 0) out.add(byteId);
            }
        }
    }

    private void offer(PriorityQueue<Bigram> queue, String text, int[] start, int[] length, int left, int right) {
        int joined = length[left] + length[right];
        int id = vocab.id(text.substring(start[left], start[left] + joined));
        if (id >= 0) queue.add(new Bigram(vocab.score(id), left, right, joined));
    }

    @Override
    byte[] normalPiece(int id) {
        return vocab.text(id).replace(SPACE, ' ').getBytes(StandardCharsets.UTF_8);
    }

    @Override
    boolean stripsLeadingSpace() { return addSpacePrefix; }
}
