package dev.gem.engine.cli;

import dev.gem.engine.Model;
import dev.gem.engine.ModelOptions;
import dev.gem.engine.routing.DepthCalibration;
import dev.gem.engine.routing.GemAssembly;
import dev.gem.engine.routing.GemKeys;
import dev.gem.format.GgufWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code gem router calibrate}: finds the model's best cheap path for the Dynamic Token Router on a text, prints every
 * candidate's agreement with the full model and estimated speculation speedup, and (with -o) writes a GEM model file
 * that carries the choice, so {@code --speculate} uses it without further flags.
 */
@Command(name = "calibrate", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Measures which layers a token can skip (or where it can exit) with the least loss of agreement with",
                "the full model, on a text you give, and picks the cheap path and draft length that speculation gains most from."},
        footer = {"", "Example:", "  gem router calibrate -m model.gguf -f sample.txt -o model.gem.gguf"})
public final class CalibrateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE", description = "GGUF model")
    Path model;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "TEXT", description = "calibration text (UTF-8)")
    Path text;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "write a GEM model file with the chosen cheap path")
    Path output;

    @Option(names = "--tokens", paramLabel = "N", defaultValue = "256", description = "calibration tokens to use (default: ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--max-skip", paramLabel = "K", defaultValue = "-1", description = "longest skipped-layer set to try (default: half the layers)")
    int maxSkip;

    @Option(names = "--max-draft", paramLabel = "N", defaultValue = "8", description = "longest speculation to consider (default: ${DEFAULT-VALUE})")
    int maxDraft;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "kernel threads (default: all processors)")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        if (output != null && Files.exists(output) && Files.isSameFile(output, model))
            throw new IllegalArgumentException("the output would overwrite the model; choose another file");
        String s = Files.readString(text, StandardCharsets.UTF_8);
        ModelOptions opts = ModelOptions.defaults().withContextSize(tokens + 64).withBatchSize(64);
        if (threads != null) opts = opts.withThreads(threads);
        var err = spec.commandLine().getErr();
        var out = spec.commandLine().getOut();
        try (Model m = Model.load(model, opts)) {
            int[] ids = m.tokenizer().encode(s, m.tokenizer().addsBos(), false);
            if (ids.length > tokens) ids = java.util.Arrays.copyOf(ids, tokens);
            int layers = m.config().layers();
            int skip = maxSkip < 0 ? layers / 2 : maxSkip;
            ProgressBar bar = new ProgressBar(err, "calibrating", (layers - 1) + Math.min(skip, layers - 1));
            DepthCalibration.Result r = new DepthCalibration(m, bar::step).calibrate(ids, skip, maxDraft);
            out.println(String.format(Locale.ROOT, "calibration on %d tokens; full step %.2f ms", r.tokens(), r.fullStepMillis()));
            out.println("| cheap path | layers run | agreement | best N | est. speedup |");
            out.println("| --- | ---: | ---: | ---: | ---: |");
            for (var c : r.candidates())
                out.println(String.format(Locale.ROOT, "| %s | %d/%d | %.1f%% | %d | %.2fx |", c.path(),
                        layers - c.path().skipped().cardinality(), layers, 100 * c.agreement(), c.bestDraft(), c.estimatedSpeedup()));
            var b = r.best();
            out.println(String.format(Locale.ROOT, "best: --speculate %d --draft %s (agreement %.1f%%, estimated %.2fx)",
                    b.bestDraft(), b.path(), 100 * b.agreement(), b.estimatedSpeedup()));
            if (b.estimatedSpeedup() < 1)
                out.println("note: no cheap path is estimated to beat plain decoding on this model and text; speculation would fall back");
            if (output != null) {
                GgufWriter w = GemAssembly.writer(m.file());
                w.putU32(GemKeys.VERSION, GemKeys.CURRENT_VERSION);
                w.putString(GemKeys.DRAFT_PATH, b.path().toString());
                w.putU32(GemKeys.DRAFT_TOKENS, b.bestDraft());
                w.putF32(GemKeys.DRAFT_AGREEMENT, (float) b.agreement());
                ProgressBar wb = new ProgressBar(err, "writing " + output.getFileName(), w.tensorCount());
                w.write(output, wb::step);
                err.println("gem: wrote " + output + " with " + GemKeys.DRAFT_PATH + " = " + b.path());
            }
        }
        return 0;
    }
}
