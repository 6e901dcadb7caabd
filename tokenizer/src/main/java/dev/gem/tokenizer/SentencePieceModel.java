package dev.gem.tokenizer;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The vocabulary of a SentencePiece {@code tokenizer.model}: a protobuf {@code ModelProto} whose repeated field 1 holds
 * the pieces (piece text = 1, score = 2, type = 3), read with protobuf-java's wire-format reader so no generated
 * classes are needed. Only what {@code SentencePieceProcessor}'s IdToPiece / GetScore / Is* calls expose is kept;
 * trainer and normalizer specs are skipped.
 *
 * <p>Piece text is read as bytes and decoded (strictly) by the JDK: protobuf-java's own UTF-8 string reader goes
 * through its {@code sun.misc.Unsafe} accessor, which JDK 25 reports with four warnings on standard error (and GEM
 * uses no Unsafe). SentencePieceModelTest checks that reading stays clear of it.
 */
final class SentencePieceModel {
    /** sentencepiece_model.proto's {@code SentencePiece.Type}. */
    enum PieceType { NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE }

    // Tags are (field number << 3) | wire type: pieces and text are length-delimited (2), the score a fixed32 (5),
    // the type a varint (0). A field with the right number but another wire type is skipped, as protobuf would.
    private static final int PIECES_TAG = 1 << 3 | 2, TEXT_TAG = 1 << 3 | 2, SCORE_TAG = 2 << 3 | 5, TYPE_TAG = 3 << 3;

    final String source;
    final List<String> pieces;
    final float[] scores;
    final PieceType[] types;

    private SentencePieceModel(String source, List<String> pieces, float[] scores, PieceType[] types) {
        this.source = source;
        this.pieces = pieces;
        this.scores = scores;
        this.types = types;
    }

    int size() { return pieces.size(); }

    static SentencePieceModel read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "no SentencePiece tokenizer.model");
        return parse(Files.readAllBytes(file), file.toString());
    }

    static SentencePieceModel parse(byte[] bytes, String source) throws IOException {
        List<String> pieces = new ArrayList<>(1 << 15);
        List<Float> scores = new ArrayList<>(1 << 15);
        List<PieceType> types = new ArrayList<>(1 << 15);
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                if (tag != PIECES_TAG) {
                    in.skipField(tag);
                    continue;
                }
                int limit = in.pushLimit(in.readRawVarint32());
                readPiece(in, pieces, scores, types, source);
                in.popLimit(limit);
            }
        } catch (InvalidProtocolBufferException e) {
            throw new IOException(source + ": not a SentencePiece model (protobuf ModelProto): " + e.getMessage(), e);
        }
        if (pieces.isEmpty()) throw new IOException(source + ": a SentencePiece model without pieces (is this a tokenizer.model?)");
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) s[i] = scores.get(i);
        return new SentencePieceModel(source, pieces, s, types.toArray(PieceType[]::new));
    }

    /** One SentencePiece message; the type defaults to NORMAL and the score to 0, as proto2 defaults say. */
    private static void readPiece(CodedInputStream in, List<String> pieces, List<Float> scores, List<PieceType> types,
                                  String source) throws IOException {
        String text = null;
        float score = 0f;
        PieceType type = PieceType.NORMAL;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (tag) {
                case TEXT_TAG -> text = utf8(in.readByteArray(), pieces.size(), source);
                case SCORE_TAG -> score = in.readFloat();
                case TYPE_TAG -> {
                    int code = in.readEnum();
                    if (code < 1 || code > PieceType.values().length)
                        throw new IOException(source + ": piece " + pieces.size() + " has unknown type " + code);
                    type = PieceType.values()[code - 1];
                }
                default -> in.skipField(tag);
            }
        }
        if (text == null) throw new IOException(source + ": piece " + pieces.size() + " has no text");
        pieces.add(text);
        scores.add(score);
        types.add(type);
    }

    private static String utf8(byte[] bytes, int piece, String source) throws IOException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException(source + ": piece " + piece + " is not valid UTF-8", e);
        }
    }
}
