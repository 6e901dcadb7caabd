package dev.gem.tokenizer;

import dev.gem.format.GgufFile;
import dev.gem.format.GgufType;
import dev.gem.format.GgufWriter;
import dev.gem.format.Metadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** tokenizer.json → the GGUF metadata convert_hf_to_gguf.py writes → a GGUF tokenizer that still passes llama.cpp's vectors. */
class HuggingFaceGgufMetadataTest {
    private static final String P = "tokenizer.ggml.";

    private static Path llama3() { return TestData.root().resolve("tokenizers/llama3/tokenizer.json"); }

    private static Path qwen3() { return TestData.root().resolve("tokenizers/qwen3/tokenizer.json"); }

    private static Map<String, GgufEntry> byKey(List<GgufEntry> entries) {
        return entries.stream().collect(Collectors.toMap(GgufEntry::key, e -> e));
    }

    private static void assertVectors(Tokenizer t, String vectorSet) {
        for (TestData.Vector v : TestData.vectors(vectorSet))
            assertArrayEquals(v.ids(), t.encode(v.text(), false, false), vectorSet + " " + v);
    }

    @Test
    void llama3ConvertsAsTheConverterWouldAndReproducesTheLlamaBpeVectors() throws IOException {
        List<GgufEntry> entries = HuggingFaceGgufMetadata.entries(llama3());
        assertEquals(List.of(P + "model", P + "pre", P + "tokens", P + "token_type", P + "merges", P + "bos_token_id",
                P + "eos_token_id", "tokenizer.chat_template"), entries.stream().map(GgufEntry::key).toList());
        Map<String, GgufEntry> e = byKey(entries);
        assertEquals("gpt2", e.get(P + "model").value());
        assertEquals("llama-bpe", e.get(P + "pre").value());
        String[] tokens = (String[]) e.get(P + "tokens").value();
        int[] types = (int[]) e.get(P + "token_type").value();
        assertEquals(128256, tokens.length);
        assertEquals("<|begin_of_text|>", tokens[128000]);
        assertEquals(TokenType.CONTROL.ordinal(), types[128000]);
        assertEquals(TokenType.NORMAL.ordinal(), types[22691]);
        assertEquals(GgufType.INT32, e.get(P + "token_type").elementType());
        assertEquals(280147, ((String[]) e.get(P + "merges").value()).length);
        assertEquals(128000L, e.get(P + "bos_token_id").value());
        assertEquals(128001L, e.get(P + "eos_token_id").value());
        assertEquals(GgufType.UINT32, e.get(P + "bos_token_id").type());

        Tokenizer t = Tokenizer.fromGguf(HuggingFaceGgufMetadata.toMetadata(entries, "llama3-from-hf.gguf"));
        assertVectors(t, "llama-bpe");
        assertTrue(t.addsBos(), "llama.cpp adds BOS for llama-bpe when the file does not say");
        assertEquals("<|eot_id|>", t.token(t.eot()));
    }

    /** Qwen's merges are ["a", "b"] pairs; its non-special added tokens are USER_DEFINED unless they look special. */
    @Test
    void qwen3ConvertsAsTheConverterWouldAndReproducesTheQwen2Vectors() throws IOException {
        List<GgufEntry> entries = HuggingFaceGgufMetadata.entries(qwen3());
        Map<String, GgufEntry> e = byKey(entries);
        assertEquals("qwen2", e.get(P + "pre").value());
        String[] tokens = (String[]) e.get(P + "tokens").value();
        int[] types = (int[]) e.get(P + "token_type").value();
        assertEquals(151669, tokens.length);
        assertEquals("<think>", tokens[151667]);
        assertEquals(TokenType.USER_DEFINED.ordinal(), types[151667]);
        assertEquals("<|fim_prefix|>", tokens[151659]);
        assertEquals(TokenType.CONTROL.ordinal(), types[151659], "not special in the file, but looks special");
        assertEquals("Ġ Ġ", ((String[]) e.get(P + "merges").value())[0]);
        assertEquals(151645L, e.get(P + "eos_token_id").value());
        assertEquals(151643L, e.get(P + "padding_token_id").value());
        assertFalse(e.containsKey(P + "bos_token_id"));
        assertEquals(false, e.get(P + "add_bos_token").value());
        assertTrue(((String) e.get("tokenizer.chat_template").value()).contains("<think>"));

        Tokenizer t = Tokenizer.fromGguf(HuggingFaceGgufMetadata.toMetadata(entries, "qwen3-from-hf.gguf"));
        assertVectors(t, "qwen2");
        assertFalse(t.addsBos());
    }

    @Test
    void aVocabOnlyGgufWrittenFromTheEntriesLoadsTheSameTokenizer(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("qwen3-vocab.gguf");
        GgufWriter writer = new GgufWriter();
        writer.putString("general.architecture", "qwen3");
        for (GgufEntry entry : HuggingFaceGgufMetadata.entries(qwen3())) entry.putInto(writer);
        writer.write(file, null);
        try (GgufFile gguf = GgufFile.open(file)) {
            Metadata md = gguf.metadata();
            assertEquals("qwen2", md.getString(P + "pre"));
            assertVectors(Tokenizer.fromGguf(md), "qwen2");
        }
    }

    /** The model's vocab_size (Qwen pads to 151936) is filled as the converter does: "[PAD<id>]", UNUSED. */
    @Test
    void idsBeyondTheTokenizerBecomeUnusedPadTokens() throws IOException {
        Map<String, GgufEntry> e = byKey(HuggingFaceGgufMetadata.entries(qwen3(), 151936));
        String[] tokens = (String[]) e.get(P + "tokens").value();
        int[] types = (int[]) e.get(P + "token_type").value();
        assertEquals(151936, tokens.length);
        assertEquals("[PAD151669]", tokens[151669]);
        assertEquals(TokenType.UNUSED.ordinal(), types[151935]);
    }

    /**
     * GEM's ids for the converter's check text hash to the very values llama.cpp lists for Meta-Llama-3-8B and for
     * Qwen1.5-7B (Qwen3's chat tokenizer encodes it alike; Qwen3-Embedding's differs only by appending EOS).
     */
    @Test
    void thePreTokenizerNameComesFromLlamaCppsCheckHash() {
        assertEquals("0ef9807a4087ebef797fc749390439009c3b9eda9ad1a097abbe738f486c01e5", PreTokenizerName.checkHash(TestData.tokenizer("llama-bpe")));
        assertEquals("e636dc30a262dcc0d8c323492e32ae2b70728f4df7dfe9737d9f920a282b8aea", PreTokenizerName.checkHash(TestData.tokenizer("qwen2")));
        assertEquals(350, PreTokenizerName.CHECK_TEXT.codePointCount(0, PreTokenizerName.CHECK_TEXT.length()));
    }

    /**
     * A small tokenizer whose hash llama.cpp does not know: the name comes from its regex. Its Llama 3.1-style
     * post-processor ends with a token other than the config's EOS, so (as SpecialVocab does) that token becomes EOS,
     * the config's EOS becomes EOT, and both BOS and EOS are marked as added.
     */
    @Test
    void templateProcessingDecidesAddedTokensAndMovesEosToEot(@TempDir Path tmp) throws IOException {
        StringBuilder vocab = new StringBuilder();
        for (int b = 0; b < 256; b++) {
            char c = ByteLevel.charOf(b);
            vocab.append('"').append(c == '"' || c == '\\' ? "\\" + c : String.valueOf(c)).append("\": ").append(b).append(", ");
        }
        vocab.append("\"ab\": 256");
        String regex = PreTokenizer.LLAMA3.replace("\\", "\\\\");
        Files.writeString(tmp.resolve("tokenizer.json"), """
                {"added_tokens": [
                   {"id": 257, "content": "<s>", "special": true}, {"id": 258, "content": "<eot>", "special": true},
                   {"id": 259, "content": "</s>", "special": true}, {"id": 261, "content": "<tool>", "special": false}],
                 "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                   {"type": "Split", "pattern": {"Regex": "%s"}, "behavior": "Isolated", "invert": false},
                   {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}]},
                 "post_processor": {"type": "TemplateProcessing",
                   "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                              {"SpecialToken": {"id": "</s>", "type_id": 0}}]},
                 "model": {"type": "BPE", "vocab": {%s}, "merges": ["a b"]}}
                """.formatted(regex, vocab));
        Files.writeString(tmp.resolve("tokenizer_config.json"), """
                {"bos_token": "<s>", "eos_token": "<eot>", "chat_template": "{{ bos_token }}"}
                """);
        Map<String, GgufEntry> e = byKey(HuggingFaceGgufMetadata.entries(tmp.resolve("tokenizer.json"), 262));
        assertEquals("llama-bpe", e.get(P + "pre").value());
        assertEquals(List.of("ab", "<s>", "<eot>", "</s>", "[PAD260]", "<tool>"),
                Arrays.asList((String[]) e.get(P + "tokens").value()).subList(256, 262));
        assertEquals(257L, e.get(P + "bos_token_id").value());
        assertEquals(259L, e.get(P + "eos_token_id").value());
        assertEquals(258L, e.get(P + "eot_token_id").value());
        assertEquals(true, e.get(P + "add_bos_token").value());
        assertEquals(true, e.get(P + "add_eos_token").value());
        assertEquals("{{ bos_token }}", e.get("tokenizer.chat_template").value());
    }
}
