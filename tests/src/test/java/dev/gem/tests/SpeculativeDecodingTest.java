package dev.gem.tests;

import dev.gem.engine.GenerateOptions;
import dev.gem.engine.GenerationResult;
import dev.gem.engine.Model;
import dev.gem.engine.ModelOptions;
import dev.gem.engine.Session;
import dev.gem.engine.Speculation;
import dev.gem.engine.sample.SamplerSettings;
import dev.gem.router.CheapPath;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Self-speculative decoding must emit exactly what plain decoding emits, greedy or sampled, whatever the draft path. */
class SpeculativeDecodingTest {
    static int[] generate(Model m, int[] prompt, GenerateOptions opts) {
        try (Session s = m.newSession()) {
            GenerationResult r = s.generate(prompt, opts, null);
            if (opts.speculation() != null) {
                var stats = s.lastSpeculation();
                assertNotNull(stats);
                assertTrue(stats.rounds() > 0, "speculation never ran: " + stats.summary());
            }
            return r.tokens();
        }
    }

    @ParameterizedTest(name = "{0} draft {1} N={2} temp {3} seed {4}")
    @CsvSource({
            "models/stories260K.gguf, exit:2, 4, 0, 0",
            "models/stories260K.gguf, exit:3, 1, 0, 0",
            "models/stories260K.gguf, skip:1,3, 6, 0, 0",
            "models/stories260K.gguf, exit:3, 4, 0.8, 1",
            "models/stories260K.gguf, skip:2, 3, 1.0, 2",
            "models/stories260K.gguf, exit:1, 8, 1.2, 3",
            "models/stories260K-Q4_0.gguf, exit:3, 4, 0.8, 4",
            "fixtures/tiny-qwen2moe.gguf, exit:1, 3, 0.9, 5",
            "fixtures/tiny-gemma2.gguf, skip:0, 2, 0.7, 6",
    })
    void outputIsIdenticalToPlainDecoding(String file, String draft, int n, float temp, long seed) throws IOException {
        Path p = file.startsWith("models/") ? TestData.root().resolve(file) : ArchitectureFixturesTest.fixture(file.substring(9));
        int[] prompt = {1, 403, 407, 261, 378};
        try (Model m = Model.load(p, ModelOptions.defaults().withThreads(2).withBatchSize(16))) {
            SamplerSettings sampler = temp == 0 ? SamplerSettings.greedy() : SamplerSettings.defaults().withTemperature(temp).withSeed(seed);
            GenerateOptions plain = GenerateOptions.defaults().withMaxTokens(120).withSampler(sampler).withStopAtEog(false);
            int[] expected = generate(m, prompt, plain);
            CheapPath path = CheapPath.parse(draft, m.config().layers());
            int[] speculative = generate(m, prompt, plain.withSpeculation(new Speculation(path, n)));
            assertArrayEquals(expected, speculative);
        }
    }
}
