package dev.gem.tokenizer;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;

/**
 * Byte-level BPE (GPT-2, Llama 3, Qwen): the text is cut into pieces by the pre-tokenizer regex, each piece's UTF-8
 * bytes are spelled with {@link ByteLevel} characters, and within a piece the adjacent pair with the lowest merge rank
 * is joined until no pair merges (ties to the leftmost pair), as llama.cpp's llm_tokenizer_bpe and Hugging Face do.
 * With ignore_merges (Llama 3) a piece that is itself a token is emitted whole.
 */
final class BpeTokenizer extends BaseTokenizer {
    private final PreTokenizer preTokenizer;
    private final MergeTable merges;
    private final boolean ignoreMerges;
    /** Unicode normalization Hugging Face applies before splitting (Qwen: NFC), or null. */
    private final Normalizer.Form normalization;
    private final int[] byteTokens = new int[256];

    BpeTokenizer(Vocabulary vocab, PreTokenizer preTokenizer, MergeTable merges, boolean ignoreMerges, Normalizer.Form normalization) {
        super(vocab);
        this.preTokenizer = preTokenizer;
        this.merges = merges;
        this.ignoreMerges = ignoreMerges;
        this.normalization = normalization;
        for (int b = 0; b < 256; b++) byteTokens[b] = vocab.id(String.valueOf(ByteLevel.charOf(b)));
    }

    @Override
    void encodeText(String text, boolean afterSpecial, IdBuffer out) {
        if (normalization != null) text = Normalizer.normalize(text, normalization);
        for (String piece : preTokenizer.split(text)) {
            byte[] utf8 = piece.getBytes(StandardCharsets.UTF_8);
            if (ignoreMerges) {
                int whole = vocab.id(ByteLevel.encode(utf8));
                if (whole >= 0) {
                    out.add(whole);
                    continue;
                }
            }
            mergePiece(utf8, out);
        }
    }

    /** Symbols are token ids; a heap of (rank, left symbol) entries, checked for staleness when popped. */
    private void mergePiece(byte[] utf8, IdBuffer out) {
        int n = utf8.length;
        int[] ids = new int[n], prev = new int[n], next = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = byteTokens[utf8[i] & 0xFF];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        RankQueue queue = new RankQueue(n);
        for (int i = 0; i + 1 < n; i++) offer(queue, ids, i, i + 1);
        while (!queue.isEmpty()) {
            long entry = queue.poll();
            int rank = (int) (entry >>> 32), left = (int) entry, right = ids[left] >= 0 ? next[left] : -1;
            if (right < 0) continue;
            int slot = merges.find(ids[left], ids[right]);
            if (slot < 0 || merges.rank(slot) != rank) continue; // one side has changed since this entry was queued
            ids[left] = merges.result(slot);
            ids[right] = -1;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            if (prev[left] >= 0) offer(queue, ids, prev[left], left);
            if (next[left] >= 0) offer(queue, ids, left, next[left]);
        }
        for (int i = 0; i >= 0 && n > 0; i = next[i]) {
            if (ids[i] >= 0) out.add(ids[i]);
            else if (vocab.unk >= 0) out.add(vocab.unk); // a byte the vocabulary cannot spell
        }
    }

    private void offer(RankQueue queue, int[] ids, int left, int right) {
        if (ids[left] < 0 || ids[right] < 0) return;
        int slot = merges.find(ids[left], ids[right]);
        if (slot >= 0) queue.add(((long) merges.rank(slot) << 32) | left);
    }

    @Override
    byte[] normalPiece(int id) {
        return ByteLevel.decode(vocab.text(id));
    }

    /** A binary min-heap of longs: (rank << 32 | left index) orders by rank, then leftmost. */
    private static final class RankQueue {
        private long[] heap;
        private int size;

        RankQueue(int capacity) { heap = new long[Math.max(4, capacity)]; }

        boolean isEmpty() { return size == 0; }

        void add(long v) {
            if (size == heap.length) heap = java.util.Arrays.copyOf(heap, size * 2);
            int i = size++;
            while (i > 0 && heap[(i - 1) >> 1] > v) {
                heap[i] = heap[(i - 1) >> 1];
                i = (i - 1) >> 1;
            }
            heap[i] = v;
        }

        long poll() {
            long top = heap[0], v = heap[--size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) break;
                if (child + 1 < size && heap[child + 1] < heap[child]) child++;
                if (heap[child] >= v) break;
                heap[i] = heap[child];
                i = child;
            }
            heap[i] = v;
            return top;
        }
    }
}
