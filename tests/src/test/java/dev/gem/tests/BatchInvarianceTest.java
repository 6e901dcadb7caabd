package dev.gem.tests;

import dev.gem.engine.Model;
import dev.gem.engine.ModelOptions;
import dev.gem.engine.Session;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A token's logits must not depend on how the tokens around it were batched: bit for bit. Self-speculative decoding
 * verifies drafts in one batch and promises output identical to token-by-token decoding, and domain routing promises
 * the same route for the same input whatever the batch, so this is a contract of the kernels, not a nicety.
 */
class BatchInvarianceTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"models/stories260K.gguf", "models/stories260K-Q8_0.gguf", "models/stories260K-Q4_0.gguf",
            "fixtures/tiny-qwen2moe.gguf", "fixtures/tiny-gemma2.gguf", "fixtures/tiny-phi3.gguf"})
    void batchedAndSingleTokenLogitsAreIdentical(String file) throws IOException {
        Path p = file.startsWith("models/") ? TestData.root().resolve(file) : ArchitectureFixturesTest.fixture(file.substring(9));
        int[] tokens = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338};
        try (Model m = Model.load(p, ModelOptions.defaults().withThreads(2).withBatchSize(tokens.length))) {
            float[][] single = new float[tokens.length][];
            try (Session s = m.newSession()) {
                for (int i = 0; i < tokens.length; i++) single[i] = s.feed(new int[]{tokens[i]}).clone();
            }
            // the same tokens fed as a prefix of 5 then batches of 4, 8
            try (Session s = m.newSession()) {
                s.feed(java.util.Arrays.copyOf(tokens, 5));
                float[][] rows = s.feedAll(java.util.Arrays.copyOfRange(tokens, 5, 9));
                for (int i = 0; i < 4; i++) assertBitwise(single[5 + i], rows[i], file + " position " + (5 + i));
                rows = s.feedAll(java.util.Arrays.copyOfRange(tokens, 9, 17));
                for (int i = 0; i < 8; i++) assertBitwise(single[9 + i], rows[i], file + " position " + (9 + i));
            }
        }
    }

    static void assertBitwise(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++)
            assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(actual[i]),
                    what + ", logit " + i + ": " + expected[i] + " vs " + actual[i]);
    }
}
