package dev.gem.engine.cli;

import dev.gem.engine.Model;
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
                "each chunk ([1]..,[2]..) and the final estimate with its error."},
        footer = {"", "Example:", "  gem perplexity -m model.gguf -f wiki.test.raw -c 512"})
public final class PerplexityCommand implements Callable<Integer> {
    static final int DEFAULT_CONTEXT = 512;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelArgs modelArgs;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "TEXT", description = "text file to score (UTF-8)")
    Path textFile;

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
            Perplexity.Result r = Perplexity.compute(model, tokens, nCtx, ppl -> {
                out.printf("[%d]%.4f,", ++chunk[0], ppl);
                out.flush();
            });
            out.println();
            out.printf("Final estimate: PPL = %.4f +/- %.5f%n", r.ppl(), r.error());
            out.flush();
            err.printf("perplexity: %d tokens scored in %.2f s%n", r.scored(), (System.nanoTime() - t0) / 1e9);
        }
        return 0;
    }
}
