package dev.gem.tokenizer;

import dev.gem.format.GgufType;
import dev.gem.format.Metadata;
import dev.gem.format.ModelFileException;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpecialTokensTest {

    @Test
    void parsesLlama3ChatMarkupOnlyWhenAsked() {
        Tokenizer t = TestData.tokenizer("llama-bpe");
        String prompt = "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>";
        int[] parsed = t.encode(prompt, true, true);
        assertArrayEquals(new int[] {128000, 128006, 882, 128007, 271, 13347, 0, 128009}, parsed, TestData.show(t, parsed));
        int[] plain = t.encode(prompt, false, false);
        assertTrue(Arrays.stream(plain).allMatch(id -> id < 128000), TestData.show(t, plain));
        assertEquals(prompt, t.decode(plain));
        assertEquals("user\n\nHi!", t.decode(parsed));
        assertEquals("<|begin_of_text|>" + prompt, t.decode(parsed, true));
    }

    @Test
    void userDefinedTokensAreAlwaysRecognised() {
        Tokenizer t = TestData.tokenizer("qwen2");
        int think = 151667;
        assertEquals(TokenType.USER_DEFINED, t.tokenType(think));
        assertArrayEquals(new int[] {think, 13048, 151668}, t.encode("<think>Hi</think>", false, false));
        assertEquals("<think>Hi</think>", t.decode(new int[] {think, 13048, 151668}));
        // a control token is plain text unless parsing is on
        assertEquals(151644, t.encode("<|im_start|>", false, true)[0]);
        assertTrue(t.encode("<|im_start|>", false, false).length > 1);
    }

    @Test
    void endOfGenerationCoversEosEotEomAndKnownTurnEnds() {
        Tokenizer llama3 = TestData.tokenizer("llama-bpe");
        assertEquals(128001, llama3.eos());
        assertEquals(128009, llama3.eot());
        for (int id : new int[] {128001, 128009}) assertTrue(llama3.isEndOfGeneration(id), "id " + id);
        assertFalse(llama3.isEndOfGeneration(128000));
        assertFalse(llama3.isEndOfGeneration(128008)); // a reserved token in Llama 3.0 (3.1 made it <|eom_id|>)
        assertFalse(llama3.isEndOfGeneration(9906));

        Tokenizer qwen = TestData.tokenizer("qwen2");
        assertEquals(151645, qwen.eos()); // <|im_end|> from tokenizer_config.json
        assertTrue(qwen.isEndOfGeneration(151643)); // <|endoftext|>, known by its text
        assertTrue(qwen.isEndOfGeneration(151645));
        assertFalse(qwen.isEndOfGeneration(151644));

        Tokenizer phi3 = TestData.tokenizer("phi-3");
        assertTrue(phi3.isEndOfGeneration(32000)); // <|endoftext|>, the eos
        assertTrue(phi3.isEndOfGeneration(32007)); // <|end|>, found by text as llama.cpp does
        assertEquals(32007, phi3.eot());
    }

    @Test
    void addsTheSpecialTokensEachVocabularyAsksFor() {
        assertArrayEquals(new int[] {128000, 9906}, TestData.tokenizer("llama-bpe").encode("Hello", true, false));
        assertArrayEquals(new int[] {9707}, TestData.tokenizer("qwen2").encode("Hello", true, false));
        assertArrayEquals(new int[] {15496}, TestData.tokenizer("gpt-2").encode("Hello", true, false));
        assertArrayEquals(new int[] {101, 7592, 102}, TestData.tokenizer("bert-bge").encode("Hello", true, false));
        assertFalse(TestData.tokenizer("qwen2").addsBos());
        assertEquals(-1, TestData.tokenizer("qwen2").bos());
    }

    @Test
    void phi3SpecialTokensSwallowTheWhitespaceAfterThem() {
        Tokenizer t = TestData.tokenizer("phi-3");
        assertArrayEquals(new int[] {32010, 6324, 32007}, t.encode("<|user|>\n  Hi<|end|>", false, true));
    }

    /** At each position the longest special token wins: "<|a|>x" over "<|a|>". */
    @Test
    void longestSpecialTokenWins() throws ModelFileException {
        Metadata md = SyntheticVocab.spm(new String[] {"<unk>", "<s>", "</s>", "<|a|>", "<|a|>x", "▁", "y"},
                new float[7], new int[] {2, 3, 3, 3, 3, 1, 1});
        Tokenizer t = Tokenizer.fromGguf(md);
        assertArrayEquals(new int[] {4, 3, 5, 6}, t.encode("<|a|>x<|a|>y", false, true));
    }

    @Test
    void tokenTypesComeFromMetadataOrDefaultToNormal() throws ModelFileException {
        Metadata md = new Metadata("typeless.gguf");
        md.put("tokenizer.ggml.model", GgufType.STRING, "llama");
        md.putArray("tokenizer.ggml.tokens", GgufType.STRING, new String[] {"<unk>", "<s>", "</s>", "▁a"});
        Tokenizer t = Tokenizer.fromGguf(md);
        assertEquals(TokenType.NORMAL, t.tokenType(3));
        assertArrayEquals(new int[] {1, 3}, t.encode("a", true, false));
    }
}
