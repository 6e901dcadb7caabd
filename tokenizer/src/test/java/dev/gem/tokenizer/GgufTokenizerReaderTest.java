package dev.gem.tokenizer;

import dev.gem.format.GgufFile;
import dev.gem.format.GgufType;
import dev.gem.format.Metadata;
import dev.gem.format.ModelFileException;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufTokenizerReaderTest {

    @Test
    void unknownModelIsAClearError() {
        Metadata md = SyntheticVocab.spm(new String[] {"<unk>", "<s>", "</s>"}, new float[3], new int[] {2, 3, 3});
        md.put("tokenizer.ggml.model", GgufType.STRING, "t5");
        ModelFileException e = assertThrows(ModelFileException.class, () -> Tokenizer.fromGguf(md));
        assertTrue(e.getMessage().contains("synthetic.gguf"), e.getMessage());
        assertTrue(e.getMessage().contains("unsupported tokenizer.ggml.model 't5'"), e.getMessage());
    }

    @Test
    void missingKeysNameTheFileAndTheKey() {
        Metadata noModel = new Metadata("empty.gguf");
        ModelFileException e = assertThrows(ModelFileException.class, () -> Tokenizer.fromGguf(noModel));
        assertTrue(e.getMessage().contains("empty.gguf") && e.getMessage().contains("tokenizer.ggml.model"), e.getMessage());

        Metadata noMerges = new Metadata("nomerges.gguf");
        noMerges.put("tokenizer.ggml.model", GgufType.STRING, "gpt2");
        noMerges.putArray("tokenizer.ggml.tokens", GgufType.STRING, new String[] {"a", "b"});
        e = assertThrows(ModelFileException.class, () -> Tokenizer.fromGguf(noMerges));
        assertTrue(e.getMessage().contains("nomerges.gguf") && e.getMessage().contains("tokenizer.ggml.merges"), e.getMessage());
    }

    /** An unknown pre-tokenizer name falls back to GPT-2's regex (with a warning) instead of failing. */
    @Test
    void unknownPreTokenizerFallsBackToGpt2() throws IOException {
        try (GgufFile f = GgufFile.open(TestData.root().resolve("vocab/ggml-vocab-gpt-2.gguf"))) {
            Metadata md = f.metadata();
            md.put("tokenizer.ggml.pre", GgufType.STRING, "no-such-pre-tokenizer");
            Tokenizer t = Tokenizer.fromGguf(md);
            for (TestData.Vector v : TestData.vectors("gpt-2")) assertArrayEquals(v.ids(), t.encode(v.text(), false, false), v.toString());
        }
    }

    /** Files converted without a pre-tokenizer name get llama.cpp's 'default' splitter; it must still round-trip. */
    @Test
    void defaultPreTokenizerLoadsAndRoundTrips() throws IOException {
        try (GgufFile f = GgufFile.open(TestData.root().resolve("vocab/ggml-vocab-gpt-neox.gguf"))) {
            Tokenizer t = Tokenizer.fromGguf(f.metadata());
            for (TestData.Vector v : TestData.vectors("gpt-2")) {
                assertTrue(v.text().equals(t.decode(t.encode(v.text(), false, false))), v.toString());
            }
            // unlike GPT-2's regex, the default one cuts digit runs into groups of three
            int[] groups = java.util.stream.IntStream.concat(java.util.Arrays.stream(t.encode("333", false, false)),
                    java.util.Arrays.stream(t.encode("3", false, false))).toArray();
            assertArrayEquals(groups, t.encode("3333", false, false));
        }
    }
}
