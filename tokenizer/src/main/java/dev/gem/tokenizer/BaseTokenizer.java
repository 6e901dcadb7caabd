package dev.gem.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * What every vocabulary-based tokenizer shares: cutting special tokens out of a prompt, adding BOS/EOS/SEP, and turning
 * ids back into bytes. Subclasses supply the model proper: how a text fragment becomes ids and how a NORMAL token is
 * spelled.
 */
abstract class BaseTokenizer implements Tokenizer {
    private static final byte[] NOTHING = new byte[0];

    final Vocabulary vocab;
    private final SpecialTokenMatcher specials;
    /** Rendered bytes per token, filled on first use; two threads may both compute a piece, harmlessly. */
    private final AtomicReferenceArray<byte[]> pieceCache;

    BaseTokenizer(Vocabulary vocab) {
        this.vocab = vocab;
        this.specials = new SpecialTokenMatcher(vocab);
        this.pieceCache = new AtomicReferenceArray<>(vocab.size());
    }

    /**
     * Appends the ids of one prompt fragment that holds no special tokens.
     *
     * @param afterSpecial true for the first fragment and for fragments right after a special token
     */
    abstract void encodeText(String text, boolean afterSpecial, IdBuffer out);

    /** The bytes a NORMAL token stands for. */
    abstract byte[] normalPiece(int id);

    /** Whether a whole-sequence decode drops the space the tokenizer itself put before the first word. */
    boolean stripsLeadingSpace() { return false; }

    /** A last touch on whole-sequence decodes (WordPiece tidies the spaces around punctuation). */
    String finishDecoded(String text) { return text; }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        IdBuffer out = new IdBuffer();
        if (addSpecial && addsBos()) out.add(vocab.bos);
        boolean afterSpecial = true;
        for (SpecialTokenMatcher.Fragment f : specials.split(text, parseSpecial)) {
            if (f.isToken()) {
                out.add(f.token());
                afterSpecial = true;
            } else {
                encodeText(f.text(), afterSpecial, out);
                afterSpecial = false;
            }
        }
        if (addSpecial && vocab.addEos && vocab.eos >= 0) out.add(vocab.eos);
        if (addSpecial && vocab.addSep && vocab.sep >= 0) out.add(vocab.sep);
        return out.toArray();
    }

    @Override
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    @Override
    public String decode(int[] ids, boolean renderSpecial) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean atStart = stripsLeadingSpace();
        for (int id : ids) {
            byte[] piece = piece(id, renderSpecial);
            if (piece.length == 0) continue;
            int skip = atStart && piece[0] == ' ' ? 1 : 0;
            out.write(piece, skip, piece.length - skip);
            atStart = false;
        }
        return finishDecoded(out.toString(StandardCharsets.UTF_8));
    }

    @Override
    public StreamDecoder streamDecoder() {
        return streamDecoder(false);
    }

    @Override
    public StreamDecoder streamDecoder(boolean renderSpecial) {
        return new StreamDecoder(id -> piece(id, renderSpecial));
    }

    /** The bytes a token adds to decoded text; hidden (CONTROL, UNKNOWN) tokens add nothing unless rendered. */
    byte[] piece(int id, boolean renderSpecial) {
        if (!vocab.valid(id)) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (size " + vocab.size() + ")");
        TokenType type = vocab.type(id);
        if (type.isHidden()) return renderSpecial ? vocab.text(id).getBytes(StandardCharsets.UTF_8) : NOTHING;
        byte[] piece = pieceCache.get(id);
        if (piece == null) {
            piece = switch (type) {
                case NORMAL -> normalPiece(id);
                case BYTE -> byteOf(vocab.text(id));
                case USER_DEFINED -> vocab.text(id).getBytes(StandardCharsets.UTF_8);
                default -> NOTHING; // UNUSED and UNDEFINED tokens render as nothing, as in llama.cpp
            };
            pieceCache.set(id, piece);
        }
        return piece;
    }

    /** A byte-fallback token "<0xNN>" stands for the byte NN. */
    private static byte[] byteOf(String text) {
        if (text.length() == 6 && text.startsWith("<0x") && text.endsWith(">"))
            return new byte[] {(byte) Integer.parseInt(text.substring(3, 5), 16)};
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Override public int vocabSize() { return vocab.size(); }

    @Override public String token(int id) { return vocab.text(id); }

    @Override public TokenType tokenType(int id) { return vocab.type(id); }

    @Override public int bos() { return vocab.bos; }

    @Override public int eos() { return vocab.eos; }

    @Override public int eot() { return vocab.eot; }

    @Override public int pad() { return vocab.pad; }

    @Override public int unknown() { return vocab.unk; }

    @Override public boolean isEndOfGeneration(int id) { return vocab.isEndOfGeneration(id); }

    @Override public boolean addsBos() { return vocab.addBos && vocab.bos >= 0; }

    /** The id for byte {@code b} in an SPM-style vocabulary: "<0xNN>", else the byte itself as a token, else -1. */
    final int byteToken(int b) {
        int id = vocab.id(String.format("<0x%02X>", b));
        return id >= 0 || b >= 0x80 ? id : vocab.id(String.valueOf((char) b));
    }
}
