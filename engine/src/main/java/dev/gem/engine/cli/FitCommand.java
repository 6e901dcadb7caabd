package dev.gem.engine.cli;

import dev.gem.engine.AdapterFile;
import dev.gem.engine.Model;
import dev.gem.engine.ModelOptions;
import dev.gem.engine.adapter.LoraAdapter;
import dev.gem.engine.routing.DomainFit;
import dev.gem.engine.routing.GemAssembly;
import dev.gem.format.GgufFile;
import dev.gem.format.ModelFile;
import dev.gem.router.DomainGate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code gem router fit}: a domain router from example texts, fitted without training, written into a GEM model file. */
@Command(name = "fit", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Runs each domain's texts through the model's first L layers, clusters the hidden states of each domain",
                "(deterministic k-means, fixed seed) and writes a GEM model: the base model plus the centroids, the domain names,",
                "the router layer and threshold (and, with --adapter, each domain's LoRA adapter). A token is routed to the domain",
                "whose centroids fit it best, when that domain's softmax probability exceeds the threshold; otherwise it takes",
                "the general path. It prints how the router treats the fitting texts themselves."},
        footer = {"", "Example:",
                "  gem router fit -m base.gguf --domain law=law.txt --domain medicine=med.txt --clusters 4 \\",
                "      --adapter law=law-lora.gguf --adapter medicine=med-lora.gguf -o model.gem.gguf"})
public final class FitCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE", description = "base model (GGUF or GEM file)")
    Path model;

    @Option(names = "--domain", required = true, paramLabel = "NAME=FILE", description = "a text of domain NAME (UTF-8); repeatable, several files per domain allowed")
    List<String> domainTexts;

    @Option(names = "--clusters", paramLabel = "N", defaultValue = "4", description = "centroids per domain (default: ${DEFAULT-VALUE})")
    int clusters;

    @Option(names = "--layer", paramLabel = "L", description = "router layer: the router reads the state after L layers (default: half the layers)")
    Integer layer;

    @Option(names = "--threshold", paramLabel = "TAU", defaultValue = "" + DomainGate.DEFAULT_THRESHOLD,
            description = "route when the top domain probability exceeds TAU (default: ${DEFAULT-VALUE})")
    float threshold;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "4096", description = "fit on at most N tokens per domain (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "k-means seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--adapter", paramLabel = "NAME=FILE[@SCALE]", description = "also store this LoRA adapter for domain NAME; repeatable")
    List<String> adapters = new ArrayList<>();

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", defaultValue = "512", description = "window the texts run in (default: ${DEFAULT-VALUE})")
    int window;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "kernel threads (default: all processors)")
    Integer threads;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "GEM model file to write")
    Path output;

    @Override
    public Integer call() throws Exception {
        if (Files.exists(output) && Files.isSameFile(output, model))
            throw new IllegalArgumentException("the output would overwrite the model; choose another file");
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        Map<String, List<Path>> files = new LinkedHashMap<>();
        for (String d : domainTexts) {
            int eq = d.indexOf('=');
            if (eq <= 0 || eq == d.length() - 1) throw new IllegalArgumentException("--domain '" + d + "' should be NAME=FILE");
            files.computeIfAbsent(d.substring(0, eq), k -> new ArrayList<>()).add(Path.of(d.substring(eq + 1)));
        }
        ModelOptions opts = ModelOptions.defaults().withContextSize(window);
        if (threads != null) opts = opts.withThreads(threads);
        List<ModelFile> opened = new ArrayList<>();
        try (Model m = Model.load(model, opts)) {
            List<String> names = new ArrayList<>(files.keySet());
            List<List<int[]>> texts = new ArrayList<>();
            for (String name : names) texts.add(tokens(m, files.get(name)));
            int l = layer != null ? layer : m.config().layers() / 2;
            ProgressBar bar = new ProgressBar(err, "fitting", names.size());
            DomainFit.Result r = new DomainFit(m, bar::step).fit(names, texts, l, clusters, threshold, seed);
            report(r, out);

            GemAssembly gem = new GemAssembly(m);
            for (String dropped : gem.router(names, l, r.gate()))
                err.println("gem: note: domain '" + dropped + "' is not among the fitted domains; its adapter is left out");
            for (String spec : adapters) {
                AdapterFile a = AdapterFile.parse(spec);
                if (!names.contains(a.domain())) throw new IllegalArgumentException("--adapter for '" + a.domain() + "', which is not a fitted domain " + names);
                GgufFile f = GgufFile.open(a.path());
                opened.add(f);
                gem.adapter(a.domain(), LoraAdapter.read(f, m.file().metadata().getString("general.architecture"), a.scale()));
            }
            var w = GemAssembly.writer(gem.build());
            w.write(output, new ProgressBar(err, "writing " + output.getFileName(), w.tensorCount())::step);
            err.printf("gem: wrote %s: %d domains routed at layer %d (threshold %s), %d adapters%n", output, names.size(), l, threshold, adapters.size());
        } finally {
            for (ModelFile f : opened) f.close();
        }
        return 0;
    }

    private List<int[]> tokens(Model m, List<Path> paths) throws Exception {
        List<int[]> out = new ArrayList<>();
        int left = maxTokens;
        for (Path p : paths) {
            if (left <= 0) break;
            int[] ids = m.tokenizer().encode(Files.readString(p, StandardCharsets.UTF_8), m.tokenizer().addsBos(), false);
            if (ids.length > left) ids = Arrays.copyOf(ids, left);
            left -= ids.length;
            out.add(ids);
        }
        return out;
    }

    /** How the fitted router routes each domain's own tokens: a row per domain, a column per destination. */
    static void report(DomainFit.Result r, PrintWriter out) {
        StringBuilder head = new StringBuilder("| domain | tokens | centroids |");
        StringBuilder rule = new StringBuilder("| --- | ---: | ---: |");
        for (String d : r.domains()) {
            head.append(" to ").append(d).append(" |");
            rule.append(" ---: |");
        }
        out.println(String.format(Locale.ROOT, "router at layer %d, threshold %.2f; routing of the fitting tokens:", r.layer(), r.gate().threshold()));
        out.println(head.append(" general |"));
        out.println(rule.append(" ---: |"));
        for (int d = 0; d < r.domains().size(); d++) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "| %s | %d | %d |", r.domains().get(d), r.tokens()[d], r.centroids()[d]));
            for (double s : r.routedShare()[d]) row.append(String.format(Locale.ROOT, " %.1f%% |", 100 * s));
            out.println(row);
        }
        out.flush();
    }
}
