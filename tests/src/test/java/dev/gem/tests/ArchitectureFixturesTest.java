package dev.gem.tests;

import dev.gem.engine.Model;
import dev.gem.engine.ModelOptions;
import dev.gem.engine.Session;
import dev.gem.tensor.DType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One tiny random-weight model per architecture (written by {@code gem synth}), checked against llama.cpp's logits on
 * the same file at every position of a ten-token sequence. Regenerate with tests/fixtures/regenerate.sh.
 */
class ArchitectureFixturesTest {
    static final int[] TOKENS = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376};

    static Path fixture(String name) {
        return Path.of("src", "test", "resources", "fixtures", name);
    }

    static float[][] logitRows(Path p) {
        try {
            List<String> lines = Files.readAllLines(p);
            float[][] rows = new float[lines.size()][];
            for (int i = 0; i < rows.length; i++) {
                String[] f = lines.get(i).trim().split(" ");
                rows[i] = new float[f.length];
                for (int j = 0; j < f.length; j++) rows[i][j] = Float.parseFloat(f[j]);
            }
            return rows;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Tolerances are absolute on logits of order 1-10. The weights are F32, so the only differences are summation
     * order and, where ggml approximates (GELU through an fp16 table), the approximation.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "tiny-llama, 1e-4", "tiny-llama3, 1e-4", "tiny-llama-moe, 1e-4", "tiny-qwen2, 1e-4", "tiny-qwen3, 1e-4", "tiny-qwen2moe, 1e-4",
            "tiny-qwen3moe, 1e-4", "tiny-olmoe, 1e-4", "tiny-phi3, 1e-4", "tiny-gemma, 1e-4", "tiny-gemma2, 1e-4",
            "tiny-gemma3, 1e-4", "tiny-granite, 1e-4"})
    void logitsMatchLlamaCppAtEveryPosition(String name, double tol) throws IOException {
        float[][] expected = logitRows(fixture(name + ".logits.txt"));
        assertEquals(TOKENS.length, expected.length);
        for (int batch : new int[]{TOKENS.length, 1}) {
            try (Model m = Model.load(fixture(name + ".gguf"), ModelOptions.defaults().withKvType(DType.F32).withThreads(2).withBatchSize(batch));
                 Session s = m.newSession()) {
                double worst = 0;
                int worstPos = -1, worstTok = -1;
                for (int pos = 0; pos < TOKENS.length; pos++) {
                    float[] logits = s.feed(new int[]{TOKENS[pos]});
                    assertEquals(expected[pos].length, m.config().vocab(), "vocabulary");
                    for (int t = 0; t < logits.length; t++) {
                        double d = Math.abs(logits[t] - expected[pos][t]);
                        if (d > worst) {
                            worst = d;
                            worstPos = pos;
                            worstTok = t;
                        }
                    }
                }
                assertTrue(worst <= tol, name + " (batch " + batch + "): logit of token " + worstTok + " at position " + worstPos
                        + " differs from llama.cpp by " + worst + " (tolerance " + tol + ")");
            }
        }
    }

    /** BERT: the pooled (CLS) embedding of a sentence, against llama.cpp's embedding of the same text. */
    @org.junit.jupiter.api.Test
    void bertEmbeddingMatchesLlamaCpp() throws IOException {
        float[] expected = TestData.floats(fixture("tiny-bert.embedding.txt"));
        try (Model m = Model.load(fixture("tiny-bert.gguf"), ModelOptions.defaults().withKvType(DType.F32).withThreads(2))) {
            float[] raw = m.embed("the quick brown fox jumps over the lazy dog", false);
            float[] unit = m.embed("the quick brown fox jumps over the lazy dog", true);
            assertEquals(expected.length, raw.length);
            double worst = 0, norm = 0, unitNorm = 0;
            for (int i = 0; i < raw.length; i++) {
                worst = Math.max(worst, Math.abs(raw[i] - expected[i]));
                norm += (double) raw[i] * raw[i];
                unitNorm += (double) unit[i] * unit[i];
            }
            assertTrue(worst <= 1e-4, "embedding differs from llama.cpp by " + worst);
            assertEquals(1.0, unitNorm, 1e-5, "normalized embedding has unit length");
            for (int i = 0; i < raw.length; i++) assertEquals(raw[i] / Math.sqrt(norm), unit[i], 1e-6);
        }
    }
}
