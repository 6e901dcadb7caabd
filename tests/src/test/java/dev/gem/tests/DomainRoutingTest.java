package dev.gem.tests;

import dev.gem.engine.DomainSelection;
import dev.gem.engine.GenerateOptions;
import dev.gem.engine.Model;
import dev.gem.engine.ModelOptions;
import dev.gem.engine.Session;
import dev.gem.engine.Speculation;
import dev.gem.engine.TokenRoute;
import dev.gem.engine.adapter.LoraAdapter;
import dev.gem.engine.adapter.LoraMerge;
import dev.gem.engine.routing.GemAssembly;
import dev.gem.engine.sample.SamplerSettings;
import dev.gem.format.GgufFile;
import dev.gem.format.ModelFile;
import dev.gem.router.CentroidScorer;
import dev.gem.router.CheapPath;
import dev.gem.router.DomainGate;
import dev.gem.tensor.DType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The Dynamic Token Router's domain rule executed in the model: decisions against a naive reference computed from the
 * base model's hidden states, adapters applied from the router layer on (checked against the adapter merged into
 * those layers only), and decisions and logits independent of batching.
 */
class DomainRoutingTest {
    static final int[] TOKENS = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426};
    static final int LAYER = 1;

    @TempDir
    Path tmp;

    Model base;
    GgufFile lawFile, medFile;
    LoraAdapter law, med;

    @BeforeEach
    void open() throws IOException {
        base = Model.load(ArchitectureFixturesTest.fixture("tiny-llama.gguf"), ModelOptions.defaults().withThreads(2).withBatchSize(16));
        lawFile = GgufFile.open(AdapterFixturesTest.adapter("tiny-llama.lora-a"));
        medFile = GgufFile.open(AdapterFixturesTest.adapter("tiny-llama.lora-b"));
        law = LoraAdapter.read(lawFile, "llama", 1f);
        med = LoraAdapter.read(medFile, "llama", 0.5f);
    }

    @AfterEach
    void close() {
        base.close();
        lawFile.close();
        medFile.close();
    }

    /** The base model's state of each token after LAYER layers: what the router reads (adapters act only later). */
    float[] baseStates() {
        try (Session s = base.newSession()) {
            return s.hiddenStates(TOKENS, LAYER);
        }
    }

    /** Two domains, each with the states of two of the tokens as centroids, and both adapters. */
    ModelFile twoDomains(float threshold) throws IOException {
        int dim = base.config().dim();
        float[] h = baseStates();
        float[] centroids = new float[4 * dim];
        int[] from = {2, 3, 9, 12};
        for (int i = 0; i < 4; i++) System.arraycopy(h, from[i] * dim, centroids, i * dim, dim);
        GemAssembly gem = new GemAssembly(base);
        gem.router(List.of("law", "medicine"), LAYER, new DomainGate(new CentroidScorer(dim, centroids, new int[]{2, 2}), threshold));
        gem.adapter("law", law).adapter("medicine", med);
        return gem.build();
    }

    static Model load(ModelFile f, int batch) throws IOException {
        return Model.open(f, ModelOptions.defaults().withThreads(2).withBatchSize(batch));
    }

    record Run(float[][] logits, List<TokenRoute> routes) {}

    static Run run(Model m, int chunk) {
        List<TokenRoute> routes = new ArrayList<>();
        float[][] logits = new float[TOKENS.length][];
        try (Session s = m.newSession()) {
            s.setRoutingListener(routes::add);
            for (int off = 0; off < TOKENS.length; off += chunk) {
                float[][] rows = s.feedAll(Arrays.copyOfRange(TOKENS, off, Math.min(TOKENS.length, off + chunk)));
                System.arraycopy(rows, 0, logits, off, rows.length);
            }
        }
        return new Run(logits, routes);
    }

    /** softmax over max_j h.c_j / sqrt(dim) per domain, argmax, threshold: in doubles, straight from the definition. */
    static int naive(float[] h, int off, float[] c, int dim, int[] counts, double tau) {
        double[] s = new double[counts.length];
        int row = 0;
        for (int d = 0; d < counts.length; d++) {
            s[d] = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < counts[d]; j++, row++) {
                double dot = 0;
                for (int i = 0; i < dim; i++) dot += (double) h[off + i] * c[row * dim + i];
                s[d] = Math.max(s[d], dot / Math.sqrt(dim));
            }
        }
        double max = Arrays.stream(s).max().orElseThrow(), z = 0;
        for (double v : s) z += Math.exp(v - max);
        int best = 0;
        for (int d = 1; d < s.length; d++) if (s[d] > s[best]) best = d;
        return Math.exp(s[best] - max) / z > tau ? best : -1;
    }

    @Test
    void decisionsFollowTheRuleOnEachTokensOwnState() throws IOException {
        ModelFile gemFile = twoDomains(0.65f);
        float[] h = baseStates();
        var spec = (CentroidScorer) dev.gem.engine.routing.GemSpec.read(gemFile, base.config()).gate().scorer();
        try (Model m = load(gemFile, 16)) {
            List<TokenRoute> routes = run(m, 16).routes();
            assertEquals(TOKENS.length, routes.size(), "one route per position");
            var outcomes = new HashSet<String>();
            for (int p = 0; p < TOKENS.length; p++) {
                int d = naive(h, p * m.config().dim(), spec.centroids(), m.config().dim(), spec.counts(), 0.65);
                String expected = d < 0 ? null : List.of("law", "medicine").get(d);
                assertEquals(expected, routes.get(p).domain(), "position " + p);
                assertEquals(TOKENS[p], routes.get(p).token());
                assertEquals(2, routes.get(p).exitLayer(), "full depth");
                outcomes.add(String.valueOf(expected));
            }
            assertEquals(3, outcomes.size(), "the prompt exercises law, medicine and the general path: " + outcomes);
        }
    }

    @Test
    void decisionsAndLogitsDoNotDependOnBatching() throws IOException {
        ModelFile gemFile = twoDomains(0.65f);
        Run whole, single;
        try (Model m = load(gemFile, 16)) {
            whole = run(m, 16);
        }
        try (Model m = load(gemFile, 1)) {
            single = run(m, 1);
        }
        try (Model m = load(gemFile, 16)) {
            Run chunks = run(m, 5);
            for (Run r : List.of(single, chunks)) {
                for (int p = 0; p < TOKENS.length; p++) {
                    assertEquals(whole.routes().get(p).domain(), r.routes().get(p).domain(), "domain at " + p);
                    assertEquals(Float.floatToIntBits(whole.routes().get(p).probability()), Float.floatToIntBits(r.routes().get(p).probability()));
                    BatchInvarianceTest.assertBitwise(whole.logits()[p], r.logits()[p], "position " + p);
                }
            }
        }
    }

    @Test
    void aTokenRoutedToADomainGetsItsAdapterFromTheRouterLayerOn() throws IOException {
        // one domain: its softmax probability is 1, so every token is routed to it
        int dim = base.config().dim();
        GemAssembly gem = new GemAssembly(base);
        gem.router(List.of("law"), LAYER, new DomainGate(new CentroidScorer(dim, new float[dim], new int[]{1}), 0.65f));
        gem.adapter("law", law);
        Path fromLayer = tmp.resolve("law-from-1.gguf"), everywhere = tmp.resolve("law.gguf");
        LoraMerge.writer(base.file(), law, LAYER, k -> true).write(fromLayer, null);
        LoraMerge.writer(base.file(), law, 0, k -> true).write(everywhere, null);
        Run routed, explicit;
        // an F32 cache, so that the comparison with the merged weights is not blurred by fp16 rounding of keys and values
        try (Model m = Model.open(gem.build(), ModelOptions.defaults().withThreads(2).withBatchSize(16).withKvType(DType.F32))) {
            routed = run(m, 16);
            try (Session s = m.newSession()) {
                List<TokenRoute> routes = new ArrayList<>();
                s.setRoutingListener(routes::add);
                s.setDomain(DomainSelection.of("law"));
                float[][] rows = s.feedAll(TOKENS);
                explicit = new Run(rows, routes);
            }
        }
        for (TokenRoute r : routed.routes()) assertEquals("law", r.domain());
        float[][] reference = rows(fromLayer), allLayers = rows(everywhere);
        double routedVsReference = maxDiff(routed.logits(), reference), explicitVsAll = maxDiff(explicit.logits(), allLayers);
        assertTrue(routedVsReference <= 1e-4, "routed vs merged from layer " + LAYER + ": " + routedVsReference);
        assertTrue(explicitVsAll <= 1e-4, "explicit selection vs merged everywhere: " + explicitVsAll);
        assertTrue(maxDiff(reference, allLayers) > 0.01, "the router layer must matter, or this test proves nothing");
    }

    float[][] rows(Path model) throws IOException {
        try (Model m = Model.load(model, ModelOptions.defaults().withThreads(2).withBatchSize(16).withKvType(DType.F32)); Session s = m.newSession()) {
            return s.feedAll(TOKENS);
        }
    }

    static double maxDiff(float[][] a, float[][] b) {
        double w = 0;
        for (int i = 0; i < a.length; i++) for (int j = 0; j < a[i].length; j++) w = Math.max(w, Math.abs(a[i][j] - b[i][j]));
        return w;
    }

    @Test
    void speculativeDecodingWithRoutingEmitsWhatPlainDecodingEmits() throws IOException {
        try (Model m = load(twoDomains(0.65f), 16)) {
            GenerateOptions plain = GenerateOptions.defaults().withMaxTokens(60).withStopAtEog(false)
                    .withSampler(SamplerSettings.defaults().withTemperature(0.9f).withSeed(4));
            int[] prompt = Arrays.copyOf(TOKENS, 5);
            int[] expected = SpeculativeDecodingTest.generate(m, prompt, plain);
            int[] speculative = SpeculativeDecodingTest.generate(m, prompt, plain.withSpeculation(new Speculation(CheapPath.earlyExit(2, 1), 3)));
            assertArrayEquals(expected, speculative);
            int[] none = SpeculativeDecodingTest.generate(m, prompt, plain.withDomain(DomainSelection.none()));
            assertFalse(Arrays.equals(expected, none), "routing to the adapters changes what is generated");
        }
    }

    @Test
    void routesReachTheListenerOnceEachWithFinalValuesUnderSpeculation() throws IOException {
        try (Model m = load(twoDomains(0.65f), 16); Session s = m.newSession()) {
            List<TokenRoute> routes = new ArrayList<>();
            s.setRoutingListener(routes::add);
            GenerateOptions opts = GenerateOptions.defaults().withMaxTokens(30).withStopAtEog(false).withSampler(SamplerSettings.greedy())
                    .withSpeculation(new Speculation(CheapPath.earlyExit(2, 1), 4));
            var r = s.generate(Arrays.copyOf(TOKENS, 5), opts, null);
            assertEquals(5 + r.tokens().length - 1, routes.size(), "every fed position once: the prompt and all but the last generated token");
            for (int i = 0; i < routes.size(); i++) {
                assertEquals(i, routes.get(i).position());
                assertEquals(2, routes.get(i).exitLayer(), "reported routes come from full-depth passes, not drafts");
                int expectedToken = i < 5 ? TOKENS[i] : r.tokens()[i - 5];
                assertEquals(expectedToken, routes.get(i).token());
            }
        }
    }

    @Test
    void routesShowTheExpertsSCARChoseAndTheExitLayer() throws IOException {
        try (Model m = Model.load(ArchitectureFixturesTest.fixture("tiny-qwen2moe.gguf"), ModelOptions.defaults().withThreads(2).withBatchSize(4));
             Session s = m.newSession()) {
            List<TokenRoute> routes = new ArrayList<>();
            s.setRoutingListener(routes::add);
            GenerateOptions opts = GenerateOptions.defaults().withMaxTokens(10).withStopAtEog(false).withSampler(SamplerSettings.greedy())
                    .withScar(new dev.gem.router.ScarSettings(0.5f, 1, 2, 1f));
            s.generate(Arrays.copyOf(TOKENS, 6), opts, null);
            long[] histogram = s.routingStats().histogram();
            long decisions = 0, experts = 0;
            for (int k = 0; k < histogram.length; k++) {
                decisions += histogram[k];
                experts += k * histogram[k];
            }
            long seen = 0, seenExperts = 0;
            for (TokenRoute r : routes) {
                assertEquals(m.config().layers(), r.experts().length);
                for (int[] e : r.experts()) {
                    seen++;
                    seenExperts += e.length;
                    assertTrue(e.length >= 1 && e.length <= 2 && Arrays.stream(e).allMatch(x -> x >= 0 && x < 4), Arrays.toString(e));
                    assertEquals(e.length, Arrays.stream(e).distinct().count());
                }
            }
            assertEquals(decisions, seen, "one expert choice per token and layer, as SCAR's own statistics count them");
            assertEquals(experts, seenExperts);
            assertTrue(experts < 2 * decisions, "tau 0.5 gives some tokens one expert");
        }
        try (Model m = Model.load(ArchitectureFixturesTest.fixture("tiny-llama.gguf"), ModelOptions.defaults().withThreads(2)); Session s = m.newSession()) {
            List<TokenRoute> routes = new ArrayList<>();
            s.setRoutingListener(routes::add);
            var exit = new dev.gem.engine.EarlyExit(1, new dev.gem.router.Confidence(dev.gem.router.Confidence.Kind.MAX_PROBABILITY, 0.001f));
            var r = s.generate(Arrays.copyOf(TOKENS, 3), GenerateOptions.defaults().withMaxTokens(6).withStopAtEog(false)
                    .withSampler(SamplerSettings.greedy()).withEarlyExit(exit), null);
            assertEquals(3 + r.tokens().length - 1, routes.size());
            for (int i = 0; i < routes.size(); i++) assertEquals(i < 3 ? 2 : 1, routes.get(i).exitLayer(), "prompt at full depth, then every token exits at 1");
        }
    }
}
