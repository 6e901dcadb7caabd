package dev.gem.engine.cli;

import dev.gem.engine.AdapterFile;
import dev.gem.engine.Model;
import dev.gem.engine.ModelOptions;
import dev.gem.engine.adapter.LoraAdapter;
import dev.gem.engine.adapter.LoraMerge;
import dev.gem.engine.routing.GemKeys;
import dev.gem.format.GgufFile;
import dev.gem.format.GgufWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code gem merge}: bakes one LoRA adapter into a model's weights, writing a plain model that needs no adapter. */
@Command(name = "merge", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Merges a LoRA adapter into the weights (W' = W + scale * B*A, in each weight's own type) and writes the",
                "model. The adapter is a llama.cpp GGUF adapter file, or a domain's adapter inside a GEM file. The result",
                "has no domains: its router and adapters are left out, since the chosen adapter now is the model."},
        footer = {"", "Examples:", "  gem merge -m base.gguf --adapter law-lora.gguf -o base-law.gguf",
                "  gem merge -m model.gem.gguf --domain law -o law.gguf",
                "  gem merge -m model.gem.gguf --domain law --from-layer 8 -o law-routed.gguf   (what routing every token to law does)"})
public final class MergeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE", description = "base model (GGUF or GEM file)")
    Path model;

    @Option(names = "--adapter", paramLabel = "FILE[@SCALE]", description = "LoRA adapter file to merge")
    String adapterFile;

    @Option(names = "--domain", paramLabel = "NAME", description = "merge this domain's adapter from the GEM file")
    String domain;

    @Option(names = "--from-layer", paramLabel = "L", defaultValue = "0",
            description = "merge only into layer L and later (and the output head), as domain routing at layer L applies it (default: all)")
    int fromLayer;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "GGUF file to write")
    Path output;

    @Override
    public Integer call() throws Exception {
        if ((adapterFile == null) == (domain == null)) throw new IllegalArgumentException("give either --adapter FILE or --domain NAME");
        if (Files.exists(output) && Files.exists(model) && Files.isSameFile(output, model))
            throw new IllegalArgumentException("the output would overwrite the model; choose another file");
        PrintWriter err = spec.commandLine().getErr();
        ModelOptions opts = ModelOptions.defaults().withThreads(1).withContextSize(16);
        GgufFile adapterGguf = null;
        try (Model m = Model.load(model, opts)) {
            if (fromLayer < 0 || fromLayer > m.config().layers())
                throw new IllegalArgumentException("--from-layer must be 0 to " + m.config().layers());
            LoraAdapter a;
            if (domain != null) {
                a = m.domains().adapter(m.domains().index(domain));
                if (a == null) throw new IllegalArgumentException("domain '" + domain + "' has no adapter in " + model);
            } else {
                AdapterFile f = AdapterFile.parse("x=" + adapterFile);
                adapterGguf = GgufFile.open(f.path());
                a = LoraAdapter.read(adapterGguf, m.file().metadata().getString("general.architecture"), f.scale());
            }
            List<String> left = LoraMerge.skipped(a, fromLayer);
            var md = m.file().metadata();
            // the format version stays only if some GEM key (SCAR defaults, cheap path, plan) does
            boolean gemLeft = md.keys().stream().anyMatch(k -> k.startsWith(GemKeys.PREFIX) && !k.equals(GemKeys.VERSION) && !isDomainComponent(k));
            GgufWriter w = LoraMerge.writer(m.file(), a, fromLayer, name -> !isDomainComponent(name) && (gemLeft || !name.equals(GemKeys.VERSION)));
            w.write(output, new ProgressBar(err, "writing " + output.getFileName(), w.tensorCount())::step);
            err.printf("gem: wrote %s: %d of %d adapted matrices merged from %s%s%n", output, a.pairs().size() - left.size(), a.pairs().size(),
                    a.source(), fromLayer > 0 ? " (layer " + fromLayer + " on)" : "");
        } finally {
            if (adapterGguf != null) adapterGguf.close();
        }
        return 0;
    }

    /** Domain names, router, adapter keys and adapter tensors: what a merged model no longer has. */
    static boolean isDomainComponent(String name) {
        return name.startsWith("gem.domain.") || name.startsWith("gem.adapter.") || name.startsWith(GemKeys.ADAPTER_TENSOR_PREFIX)
                || List.of(GemKeys.ROUTER_LAYER, GemKeys.ROUTER_THRESHOLD, GemKeys.ROUTER_CENTROIDS, GemKeys.ROUTER_CENTROID_COUNTS,
                GemKeys.ROUTER_WEIGHTS, GemKeys.ROUTER_BIAS).contains(name);
    }
}
