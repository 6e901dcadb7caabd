package dev.gem.tokenizer;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * llama.cpp's tokenizer test suite (test-tokenizer-0): each of the 46 strings must encode to exactly the ids the
 * model's Hugging Face tokenizer gives, with add_special=false and parse_special=false as in that test.
 */
class VocabVectorsTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "phi-3", "gpt-2", "bert-bge", "llama-bpe", "qwen2"})
    void encodesEveryVectorExactly(String name) {
        Tokenizer t = TestData.tokenizer(name);
        List<TestData.Vector> vectors = TestData.vectors(name);
        assertEquals(46, vectors.size());
        StringBuilder failures = new StringBuilder();
        for (TestData.Vector v : vectors) {
            int[] got = t.encode(v.text(), false, false);
            if (!java.util.Arrays.equals(v.ids(), got))
                failures.append(v).append("\n  expected ").append(TestData.show(t, v.ids())).append("\n  got      ").append(TestData.show(t, got)).append('\n');
        }
        assertTrue(failures.isEmpty(), name + ":\n" + failures);
    }

    /** SPM (the dummy space is dropped again) and byte-level BPE give back the very input. */
    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "phi-3", "gpt-2", "llama-bpe", "qwen2"})
    void decodesBackToTheInput(String name) {
        Tokenizer t = TestData.tokenizer(name);
        for (TestData.Vector v : TestData.vectors(name)) assertEquals(v.text(), t.decode(v.ids()), v.toString());
    }

    /** WordPiece lowercases, strips accents and drops whitespace, so its decode is only stable: it re-encodes the same. */
    @ParameterizedTest
    @ValueSource(strings = {"bert-bge"})
    void lossyDecodeReencodesToTheSameIds(String name) {
        Tokenizer t = TestData.tokenizer(name);
        for (TestData.Vector v : TestData.vectors(name)) {
            if (containsUnknown(t, v.ids())) continue;
            assertArrayEquals(v.ids(), t.encode(t.decode(v.ids()), false, false), v + " decoded as '" + t.decode(v.ids()) + "'");
        }
    }

    private static boolean containsUnknown(Tokenizer t, int[] ids) {
        for (int id : ids) if (id == t.unknown()) return true;
        return false;
    }
}
