package dev.gem.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * Turns generated token ids into text one id at a time. Byte-fallback and byte-level tokens can end in the middle of a
 * UTF-8 sequence (an emoji is often four byte tokens); such a tail is held back until the bytes that complete it
 * arrive, so every string returned is whole characters and can be printed as it comes. Not thread-safe: one decoder
 * per generation stream.
 */
public final class StreamDecoder {
    private final IntFunction<byte[]> pieces;
    private byte[] pending = new byte[16];
    private int length;

    StreamDecoder(IntFunction<byte[]> pieces) {
        this.pieces = pieces;
    }

    /** Adds one token and returns the text it completes (possibly empty). */
    public String next(int id) {
        byte[] piece = pieces.apply(id);
        if (length + piece.length > pending.length) pending = Arrays.copyOf(pending, Math.max(pending.length * 2, length + piece.length));
        System.arraycopy(piece, 0, pending, length, piece.length);
        length += piece.length;
        return take(completeLength());
    }

    /** Returns whatever is held back, with an incomplete sequence shown as U+FFFD, and starts afresh. */
    public String flush() {
        return take(length);
    }

    private String take(int n) {
        if (n == 0) return "";
        String text = new String(pending, 0, n, StandardCharsets.UTF_8);
        System.arraycopy(pending, n, pending, 0, length - n);
        length -= n;
        return text;
    }

    /** How many pending bytes end on a character boundary: all of them unless the last sequence is still incomplete. */
    private int completeLength() {
        int lead = length - 1;
        while (lead >= 0 && length - lead < 4 && (pending[lead] & 0xC0) == 0x80) lead--;
        if (lead < 0) return length;
        int b = pending[lead] & 0xFF;
        int needed = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 && b < 0xF0 ? 3 : b >= 0xC2 && b < 0xE0 ? 2 : 1;
        return length - lead < needed ? lead : length;
    }
}
