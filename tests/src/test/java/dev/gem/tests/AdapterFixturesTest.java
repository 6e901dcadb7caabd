package dev.gem.tests;

import dev.gem.engine.AdapterFile;
import dev.gem.engine.DomainSelection;
import dev.gem.engine.Model;
import dev.gem.engine.ModelOptions;
import dev.gem.engine.Session;
import dev.gem.engine.adapter.LoraAdapter;
import dev.gem.engine.adapter.LoraMerge;
import dev.gem.format.GgufFile;
import dev.gem.tensor.DType;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LoRA adapters against llama.cpp: random adapters (gem synth --lora-for) for tiny models of several architectures,
 * and llama.cpp's logits with the adapter applied at runtime. GEM must match them applying the adapter at runtime and
 * after merging it into the weights. Regenerate with tests/fixtures/regenerate-adapters.sh.
 */
class AdapterFixturesTest {
    @TempDir
    Path tmp;

    static Path adapter(String name) {
        return ArchitectureFixturesTest.fixture("adapters").resolve(name + ".gguf");
    }

    /** The largest absolute difference from the reference rows, feeding the fixture tokens in batches of {@code batch}. */
    static double worst(Model m, float[][] expected, int batch, String what) {
        int[] tokens = ArchitectureFixturesTest.TOKENS;
        double worst = 0;
        try (Session s = m.newSession()) {
            for (int off = 0; off < tokens.length; off += batch) {
                float[][] rows = s.feedAll(java.util.Arrays.copyOfRange(tokens, off, Math.min(tokens.length, off + batch)));
                for (int i = 0; i < rows.length; i++) {
                    assertEquals(expected[off + i].length, rows[i].length, what + ": vocabulary");
                    for (int t = 0; t < rows[i].length; t++) worst = Math.max(worst, Math.abs(rows[i][t] - expected[off + i][t]));
                }
            }
        }
        return worst;
    }

    /** Same tolerance as the architecture fixtures: F32 weights, so only summation order differs. */
    @ParameterizedTest(name = "{0} at scale {2}")
    @CsvSource({"tiny-llama.lora-a, tiny-llama, 1", "tiny-llama.lora-b, tiny-llama, 0.5", "tiny-phi3.lora, tiny-phi3, 1",
            "tiny-gemma2.lora, tiny-gemma2, 1", "tiny-qwen2moe.lora, tiny-qwen2moe, 1"})
    void runtimeAdapterMatchesLlamaCpp(String name, String base, float scale) throws IOException {
        float[][] expected = ArchitectureFixturesTest.logitRows(adapter(name).resolveSibling(name + ".logits.txt"));
        ModelOptions opts = ModelOptions.defaults().withKvType(DType.F32).withThreads(2).withAdapter(new AdapterFile("d", adapter(name), scale));
        float[][] baseRows;
        try (Model plain = Model.load(ArchitectureFixturesTest.fixture(base + ".gguf"), ModelOptions.defaults().withKvType(DType.F32).withThreads(2));
             Session s = plain.newSession()) {
            baseRows = s.feedAll(ArchitectureFixturesTest.TOKENS);
        }
        try (Model m = Model.load(ArchitectureFixturesTest.fixture(base + ".gguf"), opts)) {
            assertTrue(worst(m, baseRows, 10, name) > 0.05, "the adapter must change the logits, or this test proves nothing");
            for (int batch : new int[]{10, 1, 3}) {
                double w = worst(m, expected, batch, name);
                assertTrue(w <= 1e-4, name + " (batch " + batch + "): differs from llama.cpp by " + w);
            }
            try (Session s = m.newSession()) {
                s.setDomain(DomainSelection.none()); // loaded but switched off: the base model, bit for bit
                float[][] rows = s.feedAll(ArchitectureFixturesTest.TOKENS);
                for (int i = 0; i < rows.length; i++) BatchInvarianceTest.assertBitwise(baseRows[i], rows[i], name + " switched off, position " + i);
            }
        }
    }

    @ParameterizedTest(name = "{0} merged at scale {2}")
    @CsvSource({"tiny-llama.lora-a, tiny-llama, 1", "tiny-llama.lora-b, tiny-llama, 0.5", "tiny-phi3.lora, tiny-phi3, 1",
            "tiny-qwen2moe.lora, tiny-qwen2moe, 1", "tiny-llama.lora-embd, tiny-llama, 1"})
    void mergedAdapterMatchesLlamaCpp(String name, String base, float scale) throws IOException {
        float[][] expected = ArchitectureFixturesTest.logitRows(adapter(name).resolveSibling(name + ".logits.txt"));
        Path merged = tmp.resolve(name + ".merged.gguf");
        try (GgufFile b = GgufFile.open(ArchitectureFixturesTest.fixture(base + ".gguf")); GgufFile a = GgufFile.open(adapter(name))) {
            LoraAdapter lora = LoraAdapter.read(a, b.metadata().getString("general.architecture"), scale);
            LoraMerge.writer(b, lora, 0, k -> true).write(merged, null);
        }
        try (Model m = Model.load(merged, ModelOptions.defaults().withKvType(DType.F32).withThreads(2))) {
            double w = worst(m, expected, 10, name);
            assertTrue(w <= 1e-4, name + " merged: differs from llama.cpp by " + w);
        }
    }

    @org.junit.jupiter.api.Test
    void adaptersGemCannotApplyAtRuntimeAreRejectedWhenLoading() {
        ModelOptions opts = ModelOptions.defaults().withKvType(DType.F32).withThreads(1).withAdapter(new AdapterFile("d", adapter("tiny-llama.lora-embd"), 1f));
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.gem.format.ModelFileException.class,
                () -> Model.load(ArchitectureFixturesTest.fixture("tiny-llama.gguf"), opts).close());
        assertTrue(e.getMessage().contains("updates token_embd.weight, the token embedding, which GEM does not adapt yet (apply it with gem merge instead)"),
                e.getMessage());
        var wrongBase = ModelOptions.defaults().withKvType(DType.F32).withThreads(1).withAdapter(new AdapterFile("d", adapter("tiny-llama.lora-a"), 1f));
        e = org.junit.jupiter.api.Assertions.assertThrows(dev.gem.format.ModelFileException.class,
                () -> Model.load(ArchitectureFixturesTest.fixture("tiny-llama3.gguf"), wrongBase).close());
        assertTrue(e.getMessage().contains("updates output.weight, which this model does not multiply by"), e.getMessage());
    }
}
