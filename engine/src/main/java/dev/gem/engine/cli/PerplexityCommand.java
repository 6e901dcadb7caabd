package dev.gem.engine.cli;

import dev.gem.engine.EarlyExit;
import dev.gem.engine.Model;
import dev.gem.engine.Session;
import dev.gem.engine.quantize.Perplexity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code gem perplexity}: llama-perplexity's measurement, number for number. */
@Command(name = "perplexity", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Perplexity of a model on a text, computed as llama.cpp's llama-perplexity does: chunks of -c tokens,",
                "each starting with BOS, only the second half of each chunk scored. Prints the running perplexity after",
                "each chunk ([1]..,[2]..) and the final estimate with its error.",
                "With SCAR (--scar-*) or an approximate early exit (--early-exit), also scores the model as it is on the",
                "same chunks and reports the quality cost: both perplexities, the mean and largest KL divergence of the",
                "next-token distributions, how often both rank the same token first, and experts per token or exits taken."},
        footer = {"", "Examples:", "  gem perplexity -m model.gguf -f wiki.test.raw -c 512",
                "  gem perplexity -m moe.gguf -f wiki.test.raw -c 512 --scar-tau 0.5 --scar-kmax 4",
                "  gem perplexity -m model.gguf -f wiki.test.raw --early-exit 12 --exit-confidence 0.9"})
public final class PerplexityCommand implements Callable<Integer> {
    static final int DEFAULT_CONTEXT = 512;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelArgs modelArgs;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "TEXT", description = "text file to score (UTF-8)")
    Path textFile;

    @Mixin
    ScarArgs scar;

    @Mixin
    ExitArgs exitArgs;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        String text = Files.readString(textFile, StandardCharsets.UTF_8);
        int nCtx = modelArgs.contextSize > 0 ? modelArgs.contextSize : DEFAULT_CONTEXT;
        modelArgs.contextSize = nCtx;
        try (Model model = modelArgs.open()) {
            int[] tokens = Perplexity.tokenize(model, text);
            err.printf("perplexity: %s: %d tokens, %d chunks of %d, scoring the last %d tokens of each%n",
                    textFile, tokens.length, tokens.length / nCtx, nCtx, nCtx - 1 - nCtx / 2);
            err.flush();
            int[] chunk = {0};
            long t0 = System.nanoTime();
            java.util.function.DoubleConsumer progress = ppl -> {
                out.printf("[%d]%.4f,", ++chunk[0], ppl);
                out.flush();
            };
            dev.gem.router.ScarSettings scarSettings = scar.settings(model);
            if (scarSettings == null && !exitArgs.given()) {
                Perplexity.Result r = Perplexity.compute(model, tokens, nCtx, progress);
                out.println();
                out.printf("Final estimate: PPL = %.4f +/- %.5f%n", r.ppl(), r.error());
                out.flush();
                err.printf("perplexity: %d tokens scored in %.2f s%n", r.scored(), (System.nanoTime() - t0) / 1e9);
                return 0;
            }
            if (scarSettings != null && exitArgs.given())
                throw new IllegalArgumentException("measure SCAR (--scar-*) and --early-exit one at a time");
            EarlyExit exit = exitArgs.exit(model);
            Session[] variant = new Session[1];
            Perplexity.Comparison c = Perplexity.compare(model, tokens, nCtx, s -> {
                variant[0] = s;
                if (scarSettings != null) s.setScar(scarSettings);
            }, exit == null ? Session::feedAll : (s, part) -> {
                float[][] rows = new float[part.length][];
                for (int i = 0; i < part.length; i++) rows[i] = s.feedEarlyExit(part[i], exit).clone();
                return rows;
            }, progress);
            out.println();
            String what = scarSettings != null ? String.format(java.util.Locale.ROOT, "SCAR tau %.2f, k %d..%d, temperature %.2f",
                    scarSettings.tau(), scarSettings.kMin(), scarSettings.kMax(), scarSettings.temperature()) : "early exit at layer " + exitArgs.layer + ", confidence " + exitArgs.confidence;
            out.printf("Final estimate (%s): PPL = %.4f +/- %.5f%n", what, c.variant().ppl(), c.variant().error());
            out.printf("Model as it is:        PPL = %.4f +/- %.5f%n", c.reference().ppl(), c.reference().error());
            out.printf("Quality cost: PPL %+.2f%%, KL mean %.6f max %.6f nats, same top token %.2f%% of %d positions%n",
                    100 * (c.variant().ppl() / c.reference().ppl() - 1), c.meanKl(), c.maxKl(), 100 * c.agreement(), c.reference().scored());
            if (scarSettings != null) {
                // the router also decided for the unscored context halves; the histogram covers every routed token and layer
                out.println("SCAR " + variant[0].routingStats().summary());
            } else {
                long[] e = variant[0].earlyExitCounts();
                out.printf("early exits: %d of %d scored tokens (%.1f%%)%n", e[0], e[1], e[1] == 0 ? 0 : 100.0 * e[0] / e[1]);
            }
            out.flush();
            err.printf("perplexity: %d tokens scored twice in %.2f s%n", c.reference().scored(), (System.nanoTime() - t0) / 1e9);
        }
        return 0;
    }
}
