package dev.gem.tokenizer;

/**
 * BPE merge ranks keyed by the pair of token ids they join, with the id of the joined token. An open-addressing table
 * of primitive longs: Llama 3 has 280k merges, and boxing each lookup would dominate the merge loop.
 */
final class MergeTable {
    private static final long EMPTY = -1L;
    private final long[] keys;
    private final int[] ranks;
    private final int[] results;
    private final int mask;
    private int size;

    MergeTable(int expected) {
        int capacity = Integer.highestOneBit(Math.max(16, expected + expected / 2 - 1)) << 1; // load factor at most 2/3
        keys = new long[capacity];
        java.util.Arrays.fill(keys, EMPTY);
        ranks = new int[capacity];
        results = new int[capacity];
        mask = capacity - 1;
    }

    /** Adds the merge of two token texts; false (and nothing added) when either part or the result is not a token. */
    boolean add(Vocabulary vocab, String left, String right, int rank) {
        int l = vocab.id(left), r = vocab.id(right), joined = vocab.id(left + right);
        if (l < 0 || r < 0 || joined < 0) return false;
        add(l, r, rank, joined);
        return true;
    }

    /** Adds a merge unless the pair already has a (lower) rank: the first occurrence wins, as in llama.cpp. */
    void add(int left, int right, int rank, int result) {
        long key = key(left, right);
        int slot = slot(key);
        while (keys[slot] != EMPTY) {
            if (keys[slot] == key) return;
            slot = (slot + 1) & mask;
        }
        keys[slot] = key;
        ranks[slot] = rank;
        results[slot] = result;
        size++;
    }

    /** The slot of a merge, or -1 when the pair does not merge. */
    int find(int left, int right) {
        long key = key(left, right);
        for (int slot = slot(key); ; slot = (slot + 1) & mask) {
            long k = keys[slot];
            if (k == key) return slot;
            if (k == EMPTY) return -1;
        }
    }

    int rank(int slot) { return ranks[slot]; }

    int result(int slot) { return results[slot]; }

    int size() { return size; }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29)) & mask;
    }
}
