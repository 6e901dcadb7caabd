package dev.gem.engine.cli;

import dev.gem.engine.AdapterFile;
import dev.gem.engine.Model;
import dev.gem.engine.ModelOptions;
import dev.gem.engine.adapter.LoraAdapter;
import dev.gem.engine.routing.GemAssembly;
import dev.gem.engine.routing.GemSpec;
import dev.gem.format.GgufFile;
import dev.gem.format.ModelFile;
import dev.gem.router.DomainGate;
import dev.gem.router.ScarSettings;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code gem convert BASE.gguf}: assembles a GEM model file from a GGUF base model, LoRA adapters bound to domains,
 * a domain router taken from another GEM file (as {@code gem router fit} writes) and SCAR defaults.
 */
public final class AssembleArgs {
    @Option(names = "--adapter", paramLabel = "NAME=FILE[@SCALE]", description = "GGUF input: store this LoRA adapter for domain NAME; repeatable")
    List<String> adapters = new ArrayList<>();

    @Option(names = "--router", paramLabel = "GEM_FILE", description = "GGUF input: take the domains and domain router of this GEM file (fitted for the same base)")
    Path router;

    @Option(names = "--threshold", paramLabel = "TAU", description = "GGUF input: set the domain router's threshold")
    Float threshold;

    @Mixin
    ScarArgs scar;

    /** Whether any assembly option was given (they mean nothing for a Hugging Face folder). */
    boolean given() {
        return !adapters.isEmpty() || router != null || threshold != null || scar.given();
    }

    Integer run(Path input, Path output, String type, PrintWriter err) throws Exception {
        if (!type.equalsIgnoreCase("auto"))
            throw new IllegalArgumentException("--type converts Hugging Face folders; quantize a GGUF with gem quantize, which keeps its GEM components");
        if (Files.exists(output) && Files.isSameFile(output, input))
            throw new IllegalArgumentException("the output would overwrite the input; choose another file");
        List<ModelFile> opened = new ArrayList<>();
        try (Model base = Model.load(input, ModelOptions.defaults().withThreads(1).withContextSize(16))) {
            GemAssembly gem = new GemAssembly(base);
            String arch = base.file().metadata().getString("general.architecture");
            if (router != null) {
                GgufFile f = GgufFile.open(router);
                opened.add(f);
                GemSpec spec = GemSpec.read(f, base.config());
                if (spec.gate() == null) throw new IllegalArgumentException(router + " has no domain router (gem router fit writes one)");
                for (String dropped : gem.router(spec.domains(), spec.routerLayer(), spec.gate()))
                    err.println("gem: note: domain '" + dropped + "' is not routed by " + router + "; its adapter is left out");
            }
            if (threshold != null) {
                DomainGate g = base.gem().gate();
                if (router == null && g == null) throw new IllegalArgumentException("--threshold needs a domain router (--router, or a GEM input that has one)");
                gem.threshold(threshold);
            }
            for (String spec : adapters) {
                AdapterFile a = AdapterFile.parse(spec);
                GgufFile f = GgufFile.open(a.path());
                opened.add(f);
                gem.adapter(a.domain(), LoraAdapter.read(f, arch, a.scale()));
            }
            ScarSettings s = scar.settings(base);
            if (s != null) gem.scar(s);
            var w = GemAssembly.writer(gem.build());
            w.write(output, new ProgressBar(err, "writing " + output.getFileName(), w.tensorCount())::step);
            err.printf("gem: wrote %s: %s with domains %s%s%n", output, input.getFileName(), gem.domains(),
                    s != null ? ", SCAR tau " + s.tau() + " k " + s.kMin() + ".." + s.kMax() : "");
        } finally {
            for (ModelFile f : opened) f.close();
        }
        return 0;
    }
}
