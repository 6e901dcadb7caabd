package dev.gem.engine.cli;

import dev.gem.engine.Model;
import dev.gem.engine.ModelFiles;
import dev.gem.engine.ModelOptions;
import dev.gem.engine.adapter.LoraAdapter;
import dev.gem.engine.routing.Domains;
import dev.gem.engine.routing.GemKeys;
import dev.gem.engine.routing.GemSpec;
import dev.gem.format.GgufFile;
import dev.gem.format.ModelFile;
import dev.gem.router.CentroidScorer;
import dev.gem.router.ScarSettings;
import dev.gem.tensor.DType;
import dev.gem.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/** {@code gem inspect}: what a GGUF file holds: architecture, size, tensor types, quantization plan, GEM components. */
@Command(name = "inspect", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Describes any GGUF file (a model, a GEM model, a LoRA adapter, a vocabulary) or Hugging Face folder:",
                "architecture and shape, parameters and size, storage types, the quantization plan, and the GEM components",
                "(domains, domain router, adapters, SCAR defaults, calibrated cheap path), with a warning for every gem.* key",
                "this GEM does not know."},
        footer = {"", "Example:", "  gem inspect model.gem.gguf --tensors"})
public final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "GGUF file or Hugging Face model folder")
    Path file;

    @Option(names = "--tensors", description = "also list every tensor with its shape and type")
    boolean tensors;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (ModelFile f = ModelFiles.open(file)) {
            var md = f.metadata();
            String header = f instanceof GgufFile g ? "GGUF v" + g.version() + ", " : "";
            out.printf(Locale.ROOT, "file: %s (%s%s, %d tensors, %d metadata keys)%n", f.name(), header,
                    Files.isRegularFile(file) ? mb(Files.size(file)) : "folder", f.tensors().size(), md.keys().size());
            String arch = md.getString("general.architecture", "?");
            String type = md.getString("general.type", "model");
            if (md.has("general.name")) out.println("name: " + md.getString("general.name"));
            if (type.equals("adapter")) {
                out.printf(Locale.ROOT, "type: %s adapter for %s models, alpha %s%n", md.getString("adapter.type", "?"), arch,
                        md.has("adapter.lora.alpha") ? md.getFloat("adapter.lora.alpha") : "unset (scale 1)");
                LoraAdapter a = LoraAdapter.read(f, arch, 1f);
                out.printf(Locale.ROOT, "adapted matrices: %d, rank %d, scale %s%n", a.pairs().size(), a.maxRank(),
                        a.pairs().values().stream().map(p -> String.valueOf(p.scale())).distinct().toList());
            } else if (f.tensors().isEmpty()) {
                out.println("type: vocabulary only (" + arch + ")");
            } else {
                out.println("type: " + type);
            }
            storage(f, out);
            if (!type.equals("adapter") && !f.tensors().isEmpty()) model(f, out);
            if (tensors)
                for (Tensor t : f.tensors().values())
                    out.printf(Locale.ROOT, "  %-44s %-6s %s%n", t.name(), t.type().name().toLowerCase(Locale.ROOT), Arrays.toString(t.dims()));
        }
        return 0;
    }

    /** Parameters, bytes and bits per weight by storage type, for the base model's tensors and GEM's own apart. */
    private static void storage(ModelFile f, PrintWriter out) {
        Map<DType, long[]> byType = new TreeMap<>();
        long params = 0, bytes = 0, gemBytes = 0, gemCount = 0;
        for (Tensor t : f.tensors().values()) {
            if (t.name().startsWith(GemKeys.PREFIX)) {
                gemBytes += t.byteSize();
                gemCount++;
                continue;
            }
            long[] s = byType.computeIfAbsent(t.type(), k -> new long[3]);
            s[0]++;
            s[1] += t.elementCount();
            s[2] += t.byteSize();
            params += t.elementCount();
            bytes += t.byteSize();
        }
        if (params == 0) return;
        out.printf(Locale.ROOT, "parameters: %s in %s (%.2f bits per weight)%n", count(params), mb(bytes), 8.0 * bytes / params);
        for (var e : byType.entrySet())
            out.printf(Locale.ROOT, "  %-7s %4d tensors %10s params %10s%n", e.getKey().name().toLowerCase(Locale.ROOT), e.getValue()[0],
                    count(e.getValue()[1]), mb(e.getValue()[2]));
        if (gemCount > 0) out.printf(Locale.ROOT, "  gem.*   %4d tensors (adapters) %s%n", gemCount, mb(gemBytes));
    }

    private static void model(ModelFile f, PrintWriter out) throws Exception {
        var md = f.metadata();
        if (md.has(GemKeys.QUANT_PLAN)) out.println("quantization plan: " + md.getString(GemKeys.QUANT_PLAN));
        Model m;
        try {
            m = Model.open(ModelFiles.borrow(f), ModelOptions.defaults().withThreads(1).withContextSize(1));
        } catch (Exception e) {
            out.println("GEM cannot run this model: " + Cli.describe(e));
            return;
        }
        try (m) {
            var c = m.config();
            out.printf(Locale.ROOT, "architecture: %s, %d layers, hidden %d, heads %d (kv %d, size %d), ffn %d, vocabulary %d, context %d%n",
                    md.getString("general.architecture"), c.layers(), c.dim(), c.heads(), c.kvHeads(), c.headDim(),
                    c.isMoe() ? c.expertFfnDim() : c.ffnDim(), c.vocab(), c.contextLength());
            if (c.isMoe()) out.printf(Locale.ROOT, "experts: %d per layer, %d per token%n", c.experts(), c.expertsUsed());
            gem(m, out);
        }
    }

    private static void gem(Model m, PrintWriter out) {
        GemSpec g = m.gem();
        if (!g.present()) {
            out.println("GEM components: none (a plain GGUF)");
            return;
        }
        out.println("GEM components" + (g.version() > 0 ? " (format version " + g.version() + ")" : "") + ":");
        Domains d = m.domains();
        if (!d.names().isEmpty()) {
            StringBuilder b = new StringBuilder("  domains:");
            for (int i = 0; i < d.names().size(); i++) b.append(i == 0 ? " " : ", ").append(d.describe(i));
            out.println(b);
        }
        if (g.gate() != null) {
            String kind = g.gate().scorer() instanceof CentroidScorer cs ? "centroids " + Arrays.toString(cs.counts()) + " per domain" : "linear weights";
            out.printf(Locale.ROOT, "  domain router: %s, reads the state after %d of %d layers, threshold %.2f%n", kind,
                    g.routerLayer(), m.config().layers(), g.gate().threshold());
        }
        ScarSettings s = g.scar();
        if (s != null)
            out.printf(Locale.ROOT, "  SCAR defaults: tau %s, experts %d..%d, temperature %s%n", s.tau(), s.kMin(), s.kMax(), s.temperature());
        if (g.draft() != null)
            out.printf(Locale.ROOT, "  cheap path: %s, %d draft tokens%s%n", g.draft(), g.draftTokens(),
                    Float.isNaN(g.draftAgreement()) ? "" : String.format(Locale.ROOT, " (agreement %.1f%%)", 100 * g.draftAgreement()));
        for (String w : g.warnings()) out.println("  warning: " + w);
    }

    private static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.2f MB", bytes / 1e6);
    }

    private static String count(long n) {
        if (n >= 1_000_000_000) return String.format(Locale.ROOT, "%.2fB", n / 1e9);
        if (n >= 1_000_000) return String.format(Locale.ROOT, "%.2fM", n / 1e6);
        if (n >= 1_000) return String.format(Locale.ROOT, "%.1fK", n / 1e3);
        return Long.toString(n);
    }
}
