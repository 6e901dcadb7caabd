package dev.gem.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 640 random strings, far nastier than the 46 llama.cpp vectors (odd whitespace, contractions, marks, scripts, emoji,
 * special-token markup), against the ids Hugging Face's Rust tokenizers gave them; see hf-reference/README.md.
 */
class HuggingFaceReferenceTest {

    @ParameterizedTest
    @CsvSource({"llama3, llama-bpe", "qwen3, qwen2", "gpt2, gpt-2", "bert-bge, bert-bge"})
    void matchesHuggingFaceOnRandomStrings(String reference, String tokenizer) throws IOException {
        String[] inputs;
        try (InputStream in = resource("inputs.json")) {
            inputs = new ObjectMapper().readValue(in, String[].class);
        }
        List<String> lines;
        try (InputStream in = resource(reference + ".ids")) {
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
        assertEquals(inputs.length, lines.size());
        Tokenizer t = TestData.tokenizer(tokenizer);
        StringBuilder failures = new StringBuilder();
        int failed = 0;
        for (int i = 0; i < inputs.length; i++) {
            int[] want = lines.get(i).isBlank() ? new int[0] : Arrays.stream(lines.get(i).split(" ")).mapToInt(Integer::parseInt).toArray();
            int[] got = t.encode(inputs[i], false, true);
            if (!Arrays.equals(want, got) && failed++ < 5)
                failures.append('#').append(i).append(' ').append(new ObjectMapper().writeValueAsString(inputs[i]))
                        .append("\n  want ").append(Arrays.toString(want)).append("\n  got  ").append(Arrays.toString(got)).append('\n');
        }
        assertTrue(failed == 0, failed + " of " + inputs.length + " differ:\n" + failures);
    }

    private static InputStream resource(String name) {
        return HuggingFaceReferenceTest.class.getResourceAsStream("hf-reference/" + name);
    }
}
