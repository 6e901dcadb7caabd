package dev.gem.engine.cli;

import dev.gem.engine.EarlyExit;
import dev.gem.engine.GenerateOptions;
import dev.gem.engine.Model;
import dev.gem.engine.Speculation;
import dev.gem.router.CheapPath;
import dev.gem.router.Confidence;
import picocli.CommandLine.Option;

/** The Dynamic Token Router on the command line: exact speculation or approximate early exit. */
public final class DepthArgs {
    @Option(names = "--speculate", paramLabel = "N", arity = "0..1", fallbackValue = "0",
            description = "exact self-speculative decoding: draft up to N tokens on a cheap path, verify them in one batch (output identical to plain decoding);"
                    + " without N, the GEM file's calibrated count (else 4)")
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
            if (speculate < 0) throw new IllegalArgumentException("--speculate must be at least 1, got " + speculate);
            var gem = model.gem();
            CheapPath path = draft != null ? CheapPath.parse(draft, layers) : gem.draft() != null ? gem.draft() : CheapPath.earlyExit(layers, Math.max(1, layers / 2));
            int n = speculate > 0 ? speculate : gem.draftTokens() > 0 ? gem.draftTokens() : 4;
            return opts.withSpeculation(new Speculation(path, n));
        }
        if (draft != null) throw new IllegalArgumentException("--draft needs --speculate");
        if (earlyExit != null) {
            if (earlyExit < 1 || earlyExit >= layers) throw new IllegalArgumentException("--early-exit must be between 1 and " + (layers - 1));
            return opts.withEarlyExit(new EarlyExit(earlyExit, new Confidence(Confidence.Kind.MAX_PROBABILITY, exitConfidence)));
        }
        return opts;
    }
}
