package dev.gem.tokenizer;

import dev.gem.format.GgufFile;
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

import static org.junit.jupiter.api.Assertions.*;

/**
 * Meta's Llama 2 tokenizer.model converted as convert_hf_to_gguf.py's _set_vocab_sentencepiece converts it equals
 * llama.cpp's own ggml-vocab-llama-spm.gguf (the same vocabulary) and passes its test vectors.
 */
class SentencePieceGgufMetadataTest {
    private static final String P = "tokenizer.ggml.";

    /** The fields of Meta's tokenizer_config.json for Llama-2-7b-hf that the converter reads (tokens as strings or objects). */
    static final String LLAMA2_TOKENIZER_CONFIG = """
            {"add_bos_token": true, "add_eos_token": false, "bos_token": "<s>", "eos_token": {"content": "</s>"},
             "unk_token": {"__type": "AddedToken", "content": "<unk>"}, "pad_token": null, "tokenizer_class": "LlamaTokenizer"}
            """;

    @TempDir
    Path tmp;

    /** A folder as Meta ships Llama 2 without tokenizer.json: tokenizer.model, tokenizer_config.json, config.json. */
    private Path llama2Folder() throws IOException {
        Files.copy(TestData.root().resolve("tokenizers/llama2/tokenizer.model"), tmp.resolve("tokenizer.model"));
        Files.writeString(tmp.resolve("tokenizer_config.json"), LLAMA2_TOKENIZER_CONFIG);
        Files.writeString(tmp.resolve("config.json"), """
                {"architectures": ["LlamaForCausalLM"], "bos_token_id": 1, "eos_token_id": 2, "vocab_size": 32000}
                """);
        return tmp;
    }

    private static Map<String, GgufEntry> byKey(List<GgufEntry> entries) {
        return entries.stream().collect(Collectors.toMap(GgufEntry::key, e -> e));
    }

    @Test
    void llama2TokenizerModelEqualsLlamaCppsSpmVocabularyAndPassesItsVectors() throws IOException {
        List<GgufEntry> entries = HuggingFaceVocabulary.entries(llama2Folder(), "llama");
        assertEquals(List.of(P + "model", P + "pre", P + "tokens", P + "scores", P + "token_type", P + "bos_token_id",
                P + "eos_token_id", P + "add_bos_token", P + "add_eos_token"), entries.stream().map(GgufEntry::key).toList());
        Map<String, GgufEntry> e = byKey(entries);
        try (GgufFile reference = GgufFile.open(TestData.root().resolve("vocab/ggml-vocab-llama-spm.gguf"))) {
            Metadata md = reference.metadata();
            assertArrayEquals(md.getStringArray(P + "tokens"), (String[]) e.get(P + "tokens").value());
            assertArrayEquals(md.getFloatArray(P + "scores"), (float[]) e.get(P + "scores").value());
            assertArrayEquals(md.getIntArray(P + "token_type"), (int[]) e.get(P + "token_type").value());
            for (String key : List.of("model", "pre", "bos_token_id", "eos_token_id", "add_bos_token", "add_eos_token"))
                assertEquals(md.get(P + key), e.get(P + key).value(), key);
        }
        Tokenizer t = Tokenizer.fromGguf(HuggingFaceGgufMetadata.toMetadata(entries, "llama2-tokenizer.model"));
        for (TestData.Vector v : TestData.vectors("llama-spm"))
            assertArrayEquals(v.ids(), t.encode(v.text(), false, false), "llama-spm " + v);
        assertTrue(t.addsBos());
        assertEquals(TokenType.BYTE, t.tokenType(3 + 0x0A));
        assertEquals(TokenType.UNKNOWN, t.tokenType(0));
    }

    /**
     * With a tokenizer.json beside the model (as most Llama 2 / Mistral folders have) SpecialVocab also reads its added
     * tokens and post-processor: the unknown token's id appears; the model section is skipped, not parsed.
     */
    @Test
    void aTokenizerJsonBesideTheModelSuppliesAddedTokenIds() throws IOException {
        Path folder = llama2Folder();
        Files.writeString(folder.resolve("tokenizer.json"), """
                {"added_tokens": [{"id": 0, "content": "<unk>", "special": true}, {"id": 1, "content": "<s>", "special": true},
                                  {"id": 2, "content": "</s>", "special": true}],
                 "post_processor": {"type": "TemplateProcessing",
                   "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                   "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                            {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}]},
                 "model": {"type": "BPE", "byte_fallback": true, "vocab": {"<unk>": 0}, "merges": []}}
                """);
        Map<String, GgufEntry> e = byKey(HuggingFaceVocabulary.entries(folder, "llama"));
        assertEquals(0L, e.get(P + "unknown_token_id").value());
        assertEquals(1L, e.get(P + "bos_token_id").value());
        assertEquals(true, e.get(P + "add_bos_token").value());
        assertEquals("llama", e.get(P + "model").value(), "tokenizer.model wins over tokenizer.json for LlamaModel");
    }

    /**
     * Added tokens and a larger model vocabulary (Phi-3 style ids past the 32000 pieces): tokenizer_config.json's
     * special tokens are CONTROL, others USER_DEFINED with "▁" as a space, ids nobody names "[PAD<id>]"; Gemma's
     * converter adds EOT 107 and turns the space prefix off.
     */
    @Test
    void addedTokensPaddingAndModelSpecificKeys() throws IOException {
        Path folder = llama2Folder();
        Files.writeString(folder.resolve("config.json"), "{\"vocab_size\": 32004, \"bos_token_id\": 1, \"eos_token_id\": 32000}");
        Files.writeString(folder.resolve("tokenizer_config.json"), """
                {"add_bos_token": true, "added_tokens_decoder": {
                   "32000": {"content": "<|end|>", "special": false}, "32001": {"content": "<tool\u2581call>", "special": false},
                   "32002": {"content": "<mark>", "special": true}}}
                """);
        Files.writeString(folder.resolve("added_tokens.json"), "{\"<extra>\": 32003, \"<beyond>\": 40000}");
        Map<String, GgufEntry> e = byKey(HuggingFaceVocabulary.entries(folder, "gemma"));
        String[] tokens = (String[]) e.get(P + "tokens").value();
        int[] types = (int[]) e.get(P + "token_type").value();
        float[] scores = (float[]) e.get(P + "scores").value();
        assertEquals(32004, tokens.length);
        assertEquals(List.of("<|end|>", "<tool call>", "<mark>", "<extra>"), Arrays.asList(tokens).subList(32000, 32004));
        assertArrayEquals(new int[]{3, 4, 3, 4}, Arrays.copyOfRange(types, 32000, 32004), "looks-special, user, special, added");
        assertEquals(-1000f, scores[32001]);
        assertEquals(32000L, e.get(P + "eos_token_id").value());
        assertEquals(107L, e.get(P + "eot_token_id").value());
        assertEquals(false, e.get(P + "add_space_prefix").value());

        Files.writeString(folder.resolve("config.json"), "{\"vocab_size\": 32010}");
        String[] padded = (String[]) byKey(HuggingFaceVocabulary.entries(folder, "llama")).get(P + "tokens").value();
        assertEquals("[PAD32009]", padded[32009]);
    }

    @Test
    void badOrMissingFilesAreClearErrors() throws IOException {
        Files.writeString(tmp.resolve("config.json"), "{}");
        IOException none = assertThrows(IOException.class, () -> HuggingFaceVocabulary.entries(tmp, "llama"));
        assertTrue(none.getMessage().contains("neither tokenizer.model") , none.getMessage());
        Files.write(tmp.resolve("tokenizer.model"), new byte[]{0x0a, 0x7f, 1, 2});
        IOException bad = assertThrows(IOException.class, () -> HuggingFaceVocabulary.entries(tmp, "llama"));
        assertTrue(bad.getMessage().contains("tokenizer.model") && bad.getMessage().contains("not a SentencePiece model"), bad.getMessage());
    }
}
