package dev.gem.tokenizer;

import dev.gem.format.Metadata;
import dev.gem.format.ModelFileException;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Text to token ids and back, as llama.cpp does it for the same vocabulary. Instances are immutable and thread-safe;
 * {@link StreamDecoder}s are not (one per stream).
 */
public interface Tokenizer {

    /**
     * The tokenizer a GGUF file describes: SentencePiece-style BPE for {@code tokenizer.ggml.model = llama}, byte-level
     * BPE for {@code gpt2}, WordPiece for {@code bert}.
     *
     * @throws ModelFileException naming the file, for an unknown model or a missing or malformed key
     */
    static Tokenizer fromGguf(Metadata metadata) throws ModelFileException {
        return GgufTokenizerReader.read(metadata);
    }

    /**
     * A byte-level BPE tokenizer from a Hugging Face {@code tokenizer.json}; a {@code tokenizer_config.json} beside it,
     * when present, supplies the BOS/EOS tokens and whether they are added.
     */
    static Tokenizer fromHuggingFace(Path tokenizerJson) throws IOException {
        return HuggingFaceTokenizerReader.read(tokenizerJson);
    }

    /**
     * @param addSpecial   add BOS (and EOS, or BERT's CLS/SEP) where the vocabulary asks for them
     * @param parseSpecial turn control tokens written literally in the text (like {@code <|im_start|>}) into their ids;
     *                     user-defined tokens are always recognised
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /** The text of a whole sequence, control tokens left out, without the space SPM/WordPiece put before the first word. */
    String decode(int[] ids);

    /** As {@link #decode(int[])}, showing control tokens as their text when {@code renderSpecial} is set. */
    String decode(int[] ids, boolean renderSpecial);

    /** A new decoder for streaming generated tokens; control tokens are not shown. */
    StreamDecoder streamDecoder();

    StreamDecoder streamDecoder(boolean renderSpecial);

    int vocabSize();

    /** The raw vocabulary entry, e.g. "▁Hello" (SPM) or "ĠHello" (byte-level BPE). */
    String token(int id);

    TokenType tokenType(int id);

    /** Beginning-of-sequence id, or -1 when the vocabulary has none. */
    int bos();

    /** End-of-sequence id, or -1. */
    int eos();

    /** End-of-turn id (given by the file or found by its text, like {@code <|eot_id|>}), or -1. */
    int eot();

    /** Padding id, or -1. */
    int pad();

    /** Unknown-token id, or -1. */
    int unknown();

    /** Whether generation should stop at this token: EOS, EOT, EOM and the end-of-turn tokens llama.cpp knows by text. */
    boolean isEndOfGeneration(int id);

    /** Whether {@code encode(text, true, ...)} starts with BOS. */
    boolean addsBos();
}
