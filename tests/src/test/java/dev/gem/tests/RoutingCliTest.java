package dev.gem.tests;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Domain routing end to end through the command line: synthetic adapters (gem synth), a router fitted on two domains'
 * texts (gem router fit), inspection, generation with --show-routing and --domain, merging, and assembly (gem convert).
 */
class RoutingCliTest {
    static final String ANIMALS = "The dog ran to the park. The cat saw the dog and the bird. The dog and the cat played with a ball. "
            + "The bird sang in the tree. A big dog barked at the little cat. The fish swam in the pond and the frog jumped.";
    static final String FOOD = "Mom made a cake and cookies. Tim ate an apple and a banana. They had soup and bread for lunch. "
            + "The pie was warm and sweet. Lily drank milk and ate candy. Dad cooked pizza and pasta.";
    static final Pattern ROUTE = Pattern.compile("route pos=\\d+ token=\\d+ text=\".*\" domain=(animals|food|general) p=(0|1)\\.\\d{3} exit=5/5");

    @TempDir
    Path tmp;

    static CliTest.Run ok(String... args) {
        CliTest.Run r = CliTest.run(args);
        assertEquals(0, r.code(), String.join(" ", args) + "\n" + r.err());
        return r;
    }

    String path(String name) { return tmp.resolve(name).toString(); }

    /** Two synthetic adapters and a GEM file fitted on the two texts, written to tmp; returns its path. */
    String fitted(String name) throws IOException {
        String base = TestData.model("stories260K.gguf").toString();
        Files.writeString(tmp.resolve("animals.txt"), ANIMALS);
        Files.writeString(tmp.resolve("food.txt"), FOOD);
        if (!Files.exists(tmp.resolve("a.gguf"))) {
            ok("synth", "--lora-for", base, "--rank", "4", "--alpha", "8", "--seed", "3", "-o", path("a.gguf"));
            ok("synth", "--lora-for", base, "--rank", "4", "--alpha", "8", "--seed", "5", "-o", path("b.gguf"));
        }
        CliTest.Run fit = ok("router", "fit", "-m", base, "--domain", "animals=" + path("animals.txt"), "--domain", "food=" + path("food.txt"),
                "--clusters", "3", "--adapter", "animals=" + path("a.gguf"), "--adapter", "food=" + path("b.gguf"), "-t", "2", "-o", path(name));
        assertTrue(fit.out().contains("| domain | tokens | centroids | to animals | to food | general |"), fit.out());
        assertTrue(fit.out().contains("router at layer 2, threshold 0.65"), fit.out());
        return path(name);
    }

    @Test
    void fitInspectGenerateAndShowRouting() throws IOException {
        String gem = fitted("m.gem.gguf");
        assertArrayEquals(Files.readAllBytes(Path.of(gem)), Files.readAllBytes(Path.of(fitted("again.gem.gguf"))),
                "the same texts and seed give the same file");

        String inspect = ok("inspect", gem).out();
        assertTrue(inspect.contains("domains: animals (adapter, rank 4, 35 matrices), food (adapter, rank 4, 35 matrices)"), inspect);
        assertTrue(inspect.contains("domain router: centroids [3, 3] per domain, reads the state after 2 of 5 layers, threshold 0.65"), inspect);
        assertTrue(inspect.contains("gem.*    140 tensors (adapters)"), inspect);

        CliTest.Run run = ok("-m", gem, "-p", "The dog ate a cake", "-n", "6", "--temp", "0", "-t", "2", "--show-routing");
        List<String> routes = run.err().lines().filter(l -> l.startsWith("route ")).toList();
        int promptTokens = Integer.parseInt(run.err().replaceAll("(?s).*prompt: (\\d+) tokens.*", "$1"));
        assertEquals(promptTokens + 6 - 1, routes.size(), run.err());
        for (int i = 0; i < routes.size(); i++) {
            assertTrue(ROUTE.matcher(routes.get(i)).matches(), routes.get(i));
            assertTrue(routes.get(i).startsWith("route pos=" + i + " "), routes.get(i));
        }
        assertTrue(routes.stream().map(l -> l.replaceAll(".*domain=(\\S+).*", "$1")).distinct().count() >= 2,
                "the prompt mixes domains: " + routes);

        String base = TestData.model("stories260K.gguf").toString();
        String plain = ok("-m", base, "-p", "The dog ate a cake", "-n", "12", "--temp", "0", "-t", "2").out();
        assertEquals(plain, ok("-m", gem, "-p", "The dog ate a cake", "-n", "12", "--temp", "0", "-t", "2", "--domain", "none").out(),
                "--domain none is the base model");
        String animals = ok("-m", gem, "-p", "The dog ate a cake", "-n", "12", "--temp", "0", "-t", "2", "--domain", "animals").out();
        assertNotEquals(plain, animals);

        ok("merge", "-m", gem, "--domain", "animals", "-o", path("animals.gguf"));
        assertEquals(animals, ok("-m", path("animals.gguf"), "-p", "The dog ate a cake", "-n", "12", "--temp", "0", "-t", "2").out(),
                "merging the adapter gives what selecting it does");
        assertTrue(ok("inspect", path("animals.gguf")).out().contains("GEM components: none"), "a merged model has no domains left");
    }

    @Test
    void convertAssemblesAGemFileFromABaseModel() throws IOException {
        String gem = fitted("m.gem.gguf");
        String base = TestData.model("stories260K.gguf").toString();
        CliTest.Run r = ok("convert", base, "--router", gem, "--adapter", "food=" + path("b.gguf") + "@0.5", "--threshold", "0.7", "-o", path("c.gguf"));
        assertTrue(r.err().contains("with domains [animals, food]"), r.err());
        String inspect = ok("inspect", path("c.gguf")).out();
        assertTrue(inspect.contains("domains: animals (no adapter), food (adapter, rank 4, 35 matrices)"), inspect);
        assertTrue(inspect.contains("threshold 0.70"), inspect);
        // a GEM input is extended: adding the other adapter keeps the router and the first adapter
        ok("convert", path("c.gguf"), "--adapter", "animals=" + path("a.gguf"), "-o", path("d.gguf"));
        assertTrue(ok("inspect", path("d.gguf")).out().contains("domains: animals (adapter, rank 4, 35 matrices), food (adapter, rank 4, 35 matrices)"));
    }

    @Test
    void mistakesGetClearMessages() throws IOException {
        String gem = fitted("m.gem.gguf");
        String base = TestData.model("stories260K.gguf").toString();
        assertError("unknown domain 'law'; the model's domains are animals, food", "-m", gem, "-n", "2", "--domain", "law");
        assertError("file not found: " + path("missing.gguf"), "-m", base, "-n", "2", "--adapter", "x=" + path("missing.gguf"));
        assertError("is an adapter for a 'qwen2moe' model, but the model is 'llama'", "-m", base, "-n", "2", "--adapter",
                "x=" + AdapterFixturesTest.adapter("tiny-qwen2moe.lora").toAbsolutePath());
        assertError("the model has no domain router", "-m", base, "-n", "2", "--adapter", "x=" + path("a.gguf"), "--domain", "auto");
        assertError("2 adapters (x, y) and no domain router to choose among them", "-m", base, "-n", "2",
                "--adapter", "x=" + path("a.gguf"), "--adapter", "y=" + path("b.gguf"));
        assertError("give either --adapter FILE or --domain NAME", "merge", "-m", gem, "-o", path("z.gguf"));
        assertError("domain 'pets' is not one the file's router knows (animals, food)", "convert", gem, "--adapter", "pets=" + path("a.gguf"), "-o", path("z.gguf"));
        assertError("--type converts Hugging Face folders", "convert", base, "--type", "q8_0", "-o", path("z.gguf"));
    }

    static void assertError(String expected, String... args) {
        CliTest.Run r = CliTest.run(args);
        assertEquals(1, r.code(), Arrays.toString(args) + "\n" + r.err());
        assertTrue(r.err().contains(expected), "expected '" + expected + "' in:\n" + r.err());
    }

    @Test
    void calibratedCheapPathIsInspectedAndUsedBySpeculateWithoutACount() throws IOException {
        String base = TestData.model("stories260K.gguf").toString();
        Files.writeString(tmp.resolve("text.txt"), ANIMALS + " " + FOOD);
        ok("router", "calibrate", "-m", base, "-f", path("text.txt"), "--tokens", "48", "--max-draft", "3", "-t", "2", "-o", path("cal.gguf"));
        String inspect = ok("inspect", path("cal.gguf")).out();
        assertTrue(inspect.contains("GEM components (format version 1):"), inspect);
        assertTrue(Pattern.compile("cheap path: (exit:\\d|skip:[\\d,]+), [1-3] draft tokens \\(agreement \\d+\\.\\d%\\)").matcher(inspect).find(), inspect);
        CliTest.Run spec = ok("-m", path("cal.gguf"), "-p", "The dog", "-n", "16", "--temp", "0", "-t", "2", "--speculate");
        assertTrue(spec.err().contains("| speculation:"), spec.err());
        assertEquals(ok("-m", base, "-p", "The dog", "-n", "16", "--temp", "0", "-t", "2").out(), spec.out(), "speculation changes nothing in the output");
    }

    @Test
    void synthWritesAGemModelWithAnAdapterAndCentroidsPerDomain() throws IOException {
        String base = ArchitectureFixturesTest.fixture("tiny-llama.gguf").toString();
        ok("synth", "--gem-for", base, "--domains", "law,medicine,code", "--rank", "2", "--seed", "9", "-o", path("s1.gguf"));
        ok("synth", "--gem-for", base, "--domains", "law,medicine,code", "--rank", "2", "--seed", "9", "-o", path("s2.gguf"));
        assertArrayEquals(Files.readAllBytes(tmp.resolve("s1.gguf")), Files.readAllBytes(tmp.resolve("s2.gguf")), "the same seed gives the same file");
        String inspect = ok("inspect", path("s1.gguf")).out();
        assertTrue(inspect.contains("domains: law (adapter, rank 2, 14 matrices), medicine (adapter, rank 2, 14 matrices), code (adapter, rank 2, 14 matrices)"), inspect);
        assertTrue(inspect.contains("domain router: centroids [2, 2, 2] per domain, reads the state after 1 of 2 layers, threshold 0.65"), inspect);
        CliTest.Run run = ok("-m", path("s1.gguf"), "-p", "Once upon a time there was", "-n", "8", "--temp", "0", "-t", "2", "--show-routing");
        assertTrue(run.err().lines().filter(l -> l.startsWith("route ")).map(l -> l.replaceAll(".*domain=(\\S+).*", "$1")).distinct().count() >= 2,
                run.err());
    }
}
