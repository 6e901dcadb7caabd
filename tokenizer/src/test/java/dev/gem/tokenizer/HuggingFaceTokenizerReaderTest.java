package dev.gem.tokenizer;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HuggingFaceTokenizerReaderTest {

    @Test
    void readsVocabularyAddedTokensAndConfig() {
        Tokenizer llama3 = TestData.tokenizer("llama-bpe");
        assertEquals(128256, llama3.vocabSize());
        assertEquals("<|begin_of_text|>", llama3.token(128000));
        assertEquals(TokenType.CONTROL, llama3.tokenType(128000));
        assertEquals("ĠHello", llama3.token(22691));
        assertTrue(llama3.addsBos());
        assertEquals(128000, llama3.bos());

        Tokenizer qwen = TestData.tokenizer("qwen2");
        assertEquals(151669, qwen.vocabSize());
        assertEquals(151643, qwen.pad());
    }

    /** Qwen's tokenizer.json normalizes to NFC first, so a decomposed "é" comes back composed (not lossless). */
    @Test
    void appliesTheFilesUnicodeNormalization() {
        Tokenizer qwen = TestData.tokenizer("qwen2");
        assertEquals(java.util.Arrays.toString(qwen.encode("caf\u00e9", false, false)),
                java.util.Arrays.toString(qwen.encode("cafe\u0301", false, false)));
        assertEquals("caf\u00e9", qwen.decode(qwen.encode("cafe\u0301", false, false)));
    }

    /** The 9-11 MB files must load in well under a second once the JVM is warm; printed for the record. */
    @Test
    void loadsQuickly() throws IOException {
        for (String dir : new String[] {"llama3", "qwen3"}) {
            Path file = TestData.root().resolve("tokenizers/" + dir + "/tokenizer.json");
            long best = Long.MAX_VALUE;
            for (int i = 0; i < 3; i++) {
                long start = System.nanoTime();
                Tokenizer.fromHuggingFace(file);
                best = Math.min(best, System.nanoTime() - start);
            }
            System.out.printf("tokenizer.json %s: best of 3 loads %.0f ms%n", dir, best / 1e6);
            assertTrue(best < 3_000_000_000L, dir + " took " + best / 1e6 + " ms");
        }
    }

    @Test
    void rejectsWhatItCannotRead(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        Path wordLevel = tmp.resolve("tokenizer.json");
        Files.writeString(wordLevel, "{\"model\": {\"type\": \"WordLevel\", \"vocab\": {\"a\": 0}}, \"pre_tokenizer\": null}");
        IOException e = assertThrows(IOException.class, () -> Tokenizer.fromHuggingFace(wordLevel));
        assertTrue(e.getMessage().contains(wordLevel.toString()) && e.getMessage().contains("WordLevel"), e.getMessage());

        Files.writeString(wordLevel, "{\"model\": [1, 2");
        e = assertThrows(IOException.class, () -> Tokenizer.fromHuggingFace(wordLevel));
        assertTrue(e.getMessage().contains(wordLevel.toString()), e.getMessage());
    }
}
