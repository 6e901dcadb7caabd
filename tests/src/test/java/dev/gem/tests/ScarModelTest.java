package dev.gem.tests;

import dev.gem.engine.Model;
import dev.gem.engine.ModelOptions;
import dev.gem.engine.Session;
import dev.gem.router.ScarSettings;
import dev.gem.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.*;

/** SCAR inside real MoE forward passes: exact at fixed k, fewer experts at lower tau. */
class ScarModelTest {
    static float[][] run(Model m, ScarSettings scar) {
        try (Session s = m.newSession()) {
            s.setScar(scar);
            float[][] rows = new float[ArchitectureFixturesTest.TOKENS.length][];
            for (int i = 0; i < rows.length; i++) rows[i] = s.feed(new int[]{ArchitectureFixturesTest.TOKENS[i]}).clone();
            return rows;
        }
    }

    /** With k-min = k-max = the model's k, SCAR must be the model's routing: identical logits, and llama.cpp's. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tiny-llama-moe", "tiny-qwen2moe", "tiny-qwen3moe", "tiny-olmoe"})
    void fixedKReproducesStandardTopK(String name) throws IOException {
        float[][] ref = ArchitectureFixturesTest.logitRows(ArchitectureFixturesTest.fixture(name + ".logits.txt"));
        try (Model m = Model.load(ArchitectureFixturesTest.fixture(name + ".gguf"), ModelOptions.defaults().withKvType(DType.F32).withThreads(2))) {
            int k = m.config().expertsUsed();
            float[][] standard = run(m, null), scar = run(m, ScarSettings.fixed(k));
            for (int p = 0; p < standard.length; p++) {
                assertArrayEquals(standard[p], scar[p], 0f, "position " + p);
                for (int t = 0; t < ref[p].length; t++) assertEquals(ref[p][t], scar[p][t], 1e-4, "llama.cpp, position " + p);
            }
        }
    }

    @Test
    void lowerTauMeansFewerExpertsAndDifferentLogits() throws IOException {
        try (Model m = Model.load(ArchitectureFixturesTest.fixture("tiny-qwen3moe.gguf"), ModelOptions.defaults().withKvType(DType.F32).withThreads(1));
             Session s = m.newSession()) {
            int experts = m.config().experts();
            double previous = Double.MAX_VALUE;
            for (float tau : new float[]{1f, 0.8f, 0.5f, 0.2f}) {
                s.reset();
                s.setScar(new ScarSettings(tau, 1, experts, 1f));
                s.routingStats().reset();
                for (int t : ArchitectureFixturesTest.TOKENS) s.feed(new int[]{t});
                double mean = s.routingStats().meanExperts();
                assertTrue(mean <= previous, "tau " + tau + ": " + mean + " experts/token, more than at a higher tau (" + previous + ")");
                assertEquals(ArchitectureFixturesTest.TOKENS.length * m.config().layers(), s.routingStats().decisions());
                previous = mean;
            }
            assertEquals(1.0, previous, 1.0, "tau 0.2 needs about one expert");
            assertTrue(previous < experts, "SCAR at tau 0.2 must use fewer than all " + experts + " experts");
        }
    }

    @Test
    void scarIsRejectedForDenseModels() throws IOException {
        try (Model m = Model.load(ArchitectureFixturesTest.fixture("tiny-llama.gguf"), ModelOptions.defaults().withKvType(DType.F32)); Session s = m.newSession()) {
            assertThrows(UnsupportedOperationException.class, () -> s.setScar(ScarSettings.fixed(1)));
            s.setScar(null);
        }
    }
}
