package dev.gem.engine.cli;

import dev.gem.engine.EarlyExit;
import dev.gem.engine.GenerateOptions;
import dev.gem.engine.Model;
import dev.gem.engine.Speculation;
import dev.gem.engine.routing.GemKeys;
import dev.gem.router.CheapPath;
import dev.gem.router.Confidence;
import picocli.CommandLine.Option;

/** The Dynamic Token Router on the command line: exact speculation or approximate early exit. */
public final class DepthArgs {
    @Option(names = "--speculate", paramLabel = "N",
            description = "exact self-speculative decoding: draft up to N tokens on a cheap path, verify them in one batch (output identical to plain decoding)")
    Integer speculate;

    @Option(names = "--draft", paramLabel = "PATH",
            description = "cheap path for --speculate: exit:L or skip:L1,L2,... (default: the GEM file's calibrated path, else exit at half depth)")
    String draft;

    @Option(names = "--early-exit", paramLabel = "L",
            description = "approximate: a token confident after L layers takes its next token from there (see --exit-confidence)")
    Integer earlyExit;

    @Option(names = "--exit-confidence", paramLabel = "P", defaultValue = "0.9",
            description = "--early-exit's rule: the most likely token's probability must reach P (default: ${DEFAULT-VALUE})")
    float exitConfidence;

    /** The options with the requested token routing applied. */
    GenerateOptions apply(GenerateOptions opts, Model model) throws Exception {
        int layers = model.config().layers();
        if (speculate != null) {
            if (earlyExit != null) throw new IllegalArgumentException("--speculate (exact) and --early-exit (approximate) are alternatives; choose one");
            var md = model.file().metadata();
            String spec = draft != null ? draft : md.has(GemKeys.DRAFT_PATH) ? md.getString(GemKeys.DRAFT_PATH) : "exit:" + Math.max(1, layers / 2);
            return opts.withSpeculation(new Speculation(CheapPath.parse(spec, layers), speculate));
        }
        if (draft != null) throw new IllegalArgumentException("--draft needs --speculate");
        if (earlyExit != null) {
            if (earlyExit < 1 || earlyExit >= layers) throw new IllegalArgumentException("--early-exit must be between 1 and " + (layers - 1));
            return opts.withEarlyExit(new EarlyExit(earlyExit, new Confidence(Confidence.Kind.MAX_PROBABILITY, exitConfidence)));
        }
        return opts;
    }
}
