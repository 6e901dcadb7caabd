package dev.gem.tests;

import dev.gem.engine.GenerateOptions;
import dev.gem.engine.Model;
import dev.gem.engine.ModelOptions;
import dev.gem.engine.Session;
import dev.gem.engine.adapter.LoraAdapter;
import dev.gem.engine.routing.GemAssembly;
import dev.gem.engine.routing.GemKeys;
import dev.gem.engine.routing.GemSpec;
import dev.gem.engine.sample.SamplerSettings;
import dev.gem.format.GgufFile;
import dev.gem.format.GgufType;
import dev.gem.format.ModelFile;
import dev.gem.format.ModelFileException;
import dev.gem.router.CentroidScorer;
import dev.gem.router.DomainGate;
import dev.gem.router.ScarSettings;
import dev.gem.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/** The gem.* keys of docs/gem-format.md: written and read back, malformed ones rejected by name, unknown ones reported. */
class GemFormatTest {
    @TempDir
    Path tmp;

    static Model open(Path p) throws IOException {
        return Model.load(p, ModelOptions.defaults().withThreads(1).withContextSize(32).withBatchSize(8));
    }

    /** tiny-llama with two domains, centroids at layer 1, threshold 0.6 and a LoRA for "law". */
    static ModelFile gemView(Model base, LoraAdapter law) throws IOException {
        int dim = base.config().dim();
        float[] c = new float[3 * dim];
        for (int i = 0; i < c.length; i++) c[i] = (float) Math.sin(i);
        GemAssembly gem = new GemAssembly(base);
        gem.router(List.of("law", "medicine"), 1, new DomainGate(new CentroidScorer(dim, c, new int[]{2, 1}), 0.6f));
        gem.adapter("law", law);
        return gem.build();
    }

    @Test
    void writtenComponentsReadBackAndRunTheSame() throws IOException {
        Path out = tmp.resolve("m.gem.gguf");
        try (Model base = open(ArchitectureFixturesTest.fixture("tiny-llama.gguf"));
             GgufFile a = GgufFile.open(AdapterFixturesTest.adapter("tiny-llama.lora-a"))) {
            ModelFile view = gemView(base, LoraAdapter.read(a, "llama", 0.5f));
            GemAssembly.writer(view).write(out, null);
            float[] fromView;
            try (Model m = Model.open(view, ModelOptions.defaults().withThreads(1).withContextSize(32)); Session s = m.newSession()) {
                fromView = s.feed(new int[]{1, 403, 407, 261}).clone();
            }
            try (Model m = open(out); Session s = m.newSession()) {
                GemSpec g = m.gem();
                assertEquals(GemKeys.CURRENT_VERSION, g.version());
                assertEquals(List.of("law", "medicine"), g.domains());
                assertEquals(1, g.routerLayer());
                assertEquals(0.6f, g.gate().threshold());
                CentroidScorer cs = (CentroidScorer) g.gate().scorer();
                assertArrayEquals(new int[]{2, 1}, cs.counts());
                assertEquals((float) Math.sin(5), cs.centroids()[5]);
                assertEquals(8f, g.adapterAlpha(0));
                assertEquals(0.5f, g.adapterScale(0));
                assertEquals(1f, g.adapterScale(1));
                assertNull(m.domains().adapter(1));
                LoraAdapter law = m.domains().adapter(0);
                assertEquals(15, law.pairs().size(), "7 matrices in each of 2 layers and the output head");
                assertEquals(0.5f * 8 / 4, law.pairs().get("output.weight").scale());
                assertTrue(g.warnings().isEmpty(), g.warnings().toString());
                BatchInvarianceTest.assertBitwise(fromView, s.feed(new int[]{1, 403, 407, 261}), "file vs in-memory assembly");
            }
        }
    }

    /** Loads tiny-llama's GEM view with one change to its metadata or tensors and returns the error. */
    static String errorAfter(Consumer<ModelFile> change) throws IOException {
        try (Model base = open(ArchitectureFixturesTest.fixture("tiny-llama.gguf"));
             GgufFile a = GgufFile.open(AdapterFixturesTest.adapter("tiny-llama.lora-a"))) {
            ModelFile view = gemView(base, LoraAdapter.read(a, "llama", 1f));
            change.accept(view);
            Exception e = assertThrows(ModelFileException.class, () -> Model.open(view, ModelOptions.defaults().withThreads(1).withContextSize(8)).close());
            assertTrue(e.getMessage().startsWith(view.name()), "names the file: " + e.getMessage());
            return e.getMessage();
        }
    }

    static Consumer<ModelFile> put(String key, GgufType t, Object v) {
        return f -> f.metadata().put(key, t, v);
    }

    static Consumer<ModelFile> putArray(String key, GgufType t, Object v) {
        return f -> f.metadata().putArray(key, t, v);
    }

    @Test
    void malformedKeysAreErrorsThatNameTheKeyAndTheFix() throws IOException {
        assertTrue(errorAfter(putArray(GemKeys.ROUTER_CENTROIDS, GgufType.FLOAT32, new float[7])).contains("gem.router.centroids has 7 values; 3 centroids"));
        assertTrue(errorAfter(putArray(GemKeys.ROUTER_CENTROID_COUNTS, GgufType.UINT32, new int[]{3})).contains("gem.router.centroid_counts has 1 entries for 2 domains"));
        assertTrue(errorAfter(putArray(GemKeys.ROUTER_CENTROID_COUNTS, GgufType.UINT32, new int[]{3, 0})).contains("each needs at least one"));
        assertTrue(errorAfter(put(GemKeys.ROUTER_THRESHOLD, GgufType.FLOAT32, 1.5f)).contains("gem.router.threshold = 1.5 must be in [0, 1)"));
        assertTrue(errorAfter(put(GemKeys.ROUTER_LAYER, GgufType.UINT32, 2L)).contains("gem.router.layer = 2 is outside the model's layers; it must be 0 to 1"));
        assertTrue(errorAfter(putArray(GemKeys.DOMAIN_NAMES, GgufType.STRING, new String[]{"law", "law"})).contains("names the domain 'law' twice"));
        assertTrue(errorAfter(putArray(GemKeys.DOMAIN_NAMES, GgufType.STRING, new String[]{"law", "auto"})).contains("'auto'"));
        assertTrue(errorAfter(put(GemKeys.DOMAIN_NAMES, GgufType.STRING, "law")).contains("gem.domain.names should be an array of strings"));
        assertTrue(errorAfter(putArray(GemKeys.ADAPTER_ALPHA, GgufType.FLOAT32, new float[]{8})).contains("gem.adapter.alpha has 1 values for 2 domains"));
        assertTrue(errorAfter(putArray(GemKeys.ROUTER_WEIGHTS, GgufType.FLOAT32, new float[128])).contains("exactly one of gem.router.centroids and gem.router.weights"));
        assertTrue(errorAfter(f -> f.metadata().put(GemKeys.DRAFT_PATH, GgufType.STRING, "exit:9")).contains("gem.router.draft.path = 'exit:9' is not a cheap path"));
        try (Model base = open(ArchitectureFixturesTest.fixture("tiny-llama.gguf"));
             GgufFile a = GgufFile.open(AdapterFixturesTest.adapter("tiny-llama.lora-a"))) {
            ModelFile view = gemView(base, LoraAdapter.read(a, "llama", 1f));
            Map<String, Tensor> t = new LinkedHashMap<>(view.tensors());
            Tensor any = t.get("gem.lora.0.output.weight.lora_a");
            t.put("gem.lora.7.output.weight.lora_a", new Tensor("gem.lora.7.output.weight.lora_a", any.type(), any.dims(), any.data()));
            ModelFile bad = new ModelFile() {
                @Override public String name() { return view.name(); }
                @Override public dev.gem.format.Metadata metadata() { return view.metadata(); }
                @Override public Map<String, Tensor> tensors() { return t; }
                @Override public void close() { }
            };
            Exception e = assertThrows(ModelFileException.class, () -> Model.open(bad, ModelOptions.defaults().withThreads(1).withContextSize(8)).close());
            assertTrue(e.getMessage().contains("tensor gem.lora.7.output.weight.lora_a should be gem.lora.<domain index>"), e.getMessage());
        }
    }

    @Test
    void unknownKeysAndNewerVersionsAreReportedAndIgnored() throws IOException {
        try (Model base = open(ArchitectureFixturesTest.fixture("tiny-llama.gguf"));
             GgufFile a = GgufFile.open(AdapterFixturesTest.adapter("tiny-llama.lora-a"))) {
            ModelFile view = gemView(base, LoraAdapter.read(a, "llama", 1f));
            view.metadata().put("gem.router.future_knob", GgufType.FLOAT32, 2f);
            view.metadata().put(GemKeys.VERSION, GgufType.UINT32, 7L);
            try (Model m = Model.open(view, ModelOptions.defaults().withThreads(1).withContextSize(8))) {
                assertEquals(List.of("unknown GEM key gem.router.future_knob ignored (written by a newer GEM?)",
                        "gem.version = 7 is newer than this GEM (1); reading the keys it knows"), m.gem().warnings());
                assertEquals(List.of("law", "medicine"), m.domains().names(), "the known keys still count");
            }
        }
    }

    @Test
    void scarDefaultsFromTheFileApplyUnlessTheRequestChooses() throws IOException {
        try (Model base = open(ArchitectureFixturesTest.fixture("tiny-qwen2moe.gguf"))) {
            GemAssembly gem = new GemAssembly(base).scar(new ScarSettings(0.5f, 1, 2, 1f));
            assertThrows(IllegalArgumentException.class, () -> new GemAssembly(base).scar(new ScarSettings(0.5f, 1, 5, 1f)), "k-max above the 4 experts");
            Path out = tmp.resolve("moe.gem.gguf");
            GemAssembly.writer(gem.build()).write(out, null);
            try (Model m = open(out)) {
                assertEquals(new ScarSettings(0.5f, 1, 2, 1f), m.gem().scar());
                GenerateOptions opts = GenerateOptions.defaults().withMaxTokens(12).withStopAtEog(false).withSampler(SamplerSettings.greedy());
                int[] prompt = {1, 403, 407};
                double fileDefault = meanExperts(m, prompt, opts), topK = meanExperts(m, prompt, opts.withScar(ScarSettings.fixed(2)));
                assertEquals(2.0, topK, 0.0, "an explicit request overrides the file");
                assertTrue(fileDefault < 2.0, "tau 0.5 from the file gives some tokens one expert: " + fileDefault);
                try (Model plain = open(ArchitectureFixturesTest.fixture("tiny-qwen2moe.gguf"))) {
                    assertNull(plain.gem().scar());
                    assertEquals(fileDefault, meanExperts(plain, prompt, opts.withScar(new ScarSettings(0.5f, 1, 2, 1f))), 0.0);
                }
            }
        }
    }

    static double meanExperts(Model m, int[] prompt, GenerateOptions opts) {
        try (Session s = m.newSession()) {
            s.generate(prompt, opts, null);
            return s.routingStats().decisions() == 0 ? 2.0 : s.routingStats().meanExperts();
        }
    }

    @Test
    void aLinearRouterIsReadAndRoutesByItsWeights() throws IOException {
        Path out = tmp.resolve("linear.gem.gguf");
        float[] h;
        int dim;
        int[] tokens = {1, 403, 407, 261, 378, 432, 383, 286};
        float[] w, bias = {0.3f, -0.2f, 0f};
        try (Model base = open(ArchitectureFixturesTest.fixture("tiny-llama.gguf")); Session s = base.newSession()) {
            dim = base.config().dim();
            h = s.hiddenStates(tokens, 1);
            w = new float[3 * dim];
            for (int i = 0; i < w.length; i++) w[i] = (float) Math.cos(0.7 * i) * 0.5f;
            GemAssembly gem = new GemAssembly(base);
            gem.router(List.of("a", "b", "c"), 1, new DomainGate(new dev.gem.router.LinearScorer(dim, w, bias), 0.5f));
            GemAssembly.writer(gem.build()).write(out, null);
        }
        try (Model m = open(out); Session s = m.newSession()) {
            assertInstanceOf(dev.gem.router.LinearScorer.class, m.gem().gate().scorer());
            List<dev.gem.engine.TokenRoute> routes = new java.util.ArrayList<>();
            s.setRoutingListener(routes::add);
            s.feed(tokens);
            for (int p = 0; p < tokens.length; p++) {
                double[] score = new double[3];
                for (int d = 0; d < 3; d++) {
                    score[d] = bias[d];
                    for (int i = 0; i < dim; i++) score[d] += (double) w[d * dim + i] * h[p * dim + i];
                }
                double max = java.util.Arrays.stream(score).max().orElseThrow(), z = 0;
                for (double v : score) z += Math.exp(v - max);
                int best = 0;
                for (int d = 1; d < 3; d++) if (score[d] > score[best]) best = d;
                String expected = 1 / z > 0.5 ? List.of("a", "b", "c").get(best) : null;
                assertEquals(expected, routes.get(p).domain(), "position " + p);
                assertEquals(1 / z, routes.get(p).probability(), 1e-5);
            }
            assertTrue(routes.stream().map(r -> String.valueOf(r.domain())).distinct().count() >= 2, "mixed outcomes: " + routes);
        }
    }
}
