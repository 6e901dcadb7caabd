package dev.gem.tokenizer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpmTokenizerTest {

    /** The prompt llama.cpp fed stories260K for the reference logits (expected/llamacpp/stories260K.prompt.ids.txt). */
    @Test
    void storiesPromptMatchesLlamaCpp() {
        Tokenizer t = TestData.tokenizer("stories260K");
        assertEquals(512, t.vocabSize());
        assertTrue(t.addsBos());
        assertArrayEquals(new int[] {1, 403, 407, 261, 378}, t.encode("Once upon a time", true, false));
        assertEquals("Once upon a time", t.decode(new int[] {1, 403, 407, 261, 378}));
        assertEquals("<s> Once upon a time", t.decode(new int[] {1, 403, 407, 261, 378}, true));
    }

    @Test
    void specialIdsComeFromMetadataAndAbsentOnesAreMinusOne() {
        Tokenizer t = TestData.tokenizer("stories260K");
        assertEquals(1, t.bos());
        assertEquals(2, t.eos());
        assertEquals(0, t.unknown());
        assertEquals(-1, t.pad()); // the file stores 0xFFFFFFFF
        assertTrue(t.isEndOfGeneration(2));
        assertFalse(t.isEndOfGeneration(1));
        assertEquals(TokenType.BYTE, t.tokenType(3));
        assertEquals("▁Once", t.token(403));
    }

    @Test
    void dummySpaceGoesBeforeTheTextAndAfterEverySpecialToken() {
        Tokenizer t = TestData.tokenizer("llama-spm");
        assertArrayEquals(new int[] {15043, 3186}, t.encode("Hello world", false, false));
        // "<s>" parsed: BOS, then "Hello" gets its own dummy space again
        assertArrayEquals(new int[] {1, 1, 15043}, t.encode("<s>Hello", true, true));
        int[] literal = t.encode("<s>Hello", false, false);
        assertFalse(contains(literal, 1), "without parse_special, <s> is plain text");
        assertEquals("<s>Hello", t.decode(literal));
    }

    @Test
    void controlTokensDecodeToNothingUnlessRendered() {
        Tokenizer t = TestData.tokenizer("llama-spm");
        int[] ids = {1, 15043, 3186, 2};
        assertEquals("Hello world", t.decode(ids));
        assertEquals("<s> Hello world</s>", t.decode(ids, true));
    }

    @Test
    void bytesFallBackToByteTokens() {
        Tokenizer t = TestData.tokenizer("llama-spm");
        // 🦙 is not in the vocabulary: its four UTF-8 bytes become <0xF0><0x9F><0xA6><0x99>
        assertArrayEquals(new int[] {29871, 243, 162, 169, 156}, t.encode("🦙", false, false));
        assertEquals("🦙", t.decode(new int[] {29871, 243, 162, 169, 156}));
    }

    /** The best-scoring pair merges first, whatever its position: "bc" (-0.5) before "▁a" (-1) before "ab" (-2). */
    @Test
    void mergesByScore() throws dev.gem.format.ModelFileException {
        Tokenizer t = Tokenizer.fromGguf(SyntheticVocab.spm(new String[] {"<unk>", "<s>", "</s>", "▁", "a", "b", "c", "▁a", "ab", "bc"},
                new float[] {0, 0, 0, -5, -5, -5, -5, -1, -2, -0.5f}, new int[] {2, 3, 3, 1, 1, 1, 1, 1, 1, 1}));
        assertArrayEquals(new int[] {7, 9}, t.encode("abc", false, false));
    }

    /** Equal scores merge leftmost first: "▁aaa" becomes ▁ aa a, not ▁ a aa. */
    @Test
    void tiesMergeLeftmostFirst() throws dev.gem.format.ModelFileException {
        Tokenizer t = Tokenizer.fromGguf(SyntheticVocab.spm(new String[] {"<unk>", "<s>", "</s>", "▁", "a", "aa"},
                new float[] {0, 0, 0, -5, -5, -1}, new int[] {2, 3, 3, 1, 1, 1}));
        assertArrayEquals(new int[] {3, 5, 4}, t.encode("aaa", false, false));
    }

    @Test
    void withoutSpacePrefixNothingIsAddedOrStripped() throws dev.gem.format.ModelFileException {
        dev.gem.format.Metadata md = SyntheticVocab.spm(new String[] {"<unk>", "<s>", "</s>", "▁", "a"},
                new float[5], new int[] {2, 3, 3, 1, 1});
        md.put("tokenizer.ggml.add_space_prefix", dev.gem.format.GgufType.BOOL, false);
        Tokenizer t = Tokenizer.fromGguf(md);
        assertArrayEquals(new int[] {1, 4, 3, 4}, t.encode("a a", true, false));
        assertEquals("a a", t.decode(new int[] {1, 4, 3, 4}));
        assertEquals(" a", t.decode(new int[] {3, 4}));
    }

    private static boolean contains(int[] ids, int id) {
        for (int i : ids) if (i == id) return true;
        return false;
    }
}
