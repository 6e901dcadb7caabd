package dev.gem.engine.cli;

import dev.gem.engine.GenerateOptions;
import dev.gem.engine.Model;
import dev.gem.engine.Speculation;
import dev.gem.router.CheapPath;
import picocli.CommandLine.Mixin;
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

    @Mixin
    ExitArgs exit;

    /** The options with the requested token routing applied. */
    GenerateOptions apply(GenerateOptions opts, Model model) throws Exception {
        int layers = model.config().layers();
        if (speculate != null) {
            if (exit.given()) throw new IllegalArgumentException("--speculate (exact) and --early-exit (approximate) are alternatives; choose one");
            if (speculate < 0) throw new IllegalArgumentException("--speculate must be at least 1, got " + speculate);
            var gem = model.gem();
            CheapPath path = draft != null ? CheapPath.parse(draft, layers) : gem.draft() != null ? gem.draft() : CheapPath.earlyExit(layers, Math.max(1, layers / 2));
            int n = speculate > 0 ? speculate : gem.draftTokens() > 0 ? gem.draftTokens() : 4;
            return opts.withSpeculation(new Speculation(path, n));
        }
        if (draft != null) throw new IllegalArgumentException("--draft needs --speculate");
        if (exit.given()) return opts.withEarlyExit(exit.exit(model));
        return opts;
    }
}
