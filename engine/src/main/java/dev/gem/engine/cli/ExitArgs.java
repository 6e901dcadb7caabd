package dev.gem.engine.cli;

import dev.gem.engine.EarlyExit;
import dev.gem.engine.Model;
import dev.gem.router.Confidence;
import picocli.CommandLine.Option;

/** The approximate early exit on the command line, for generating with it and for measuring what it costs. */
public final class ExitArgs {
    @Option(names = "--early-exit", paramLabel = "L",
            description = "approximate: a token confident after L layers takes its next token from there (see --exit-confidence)")
    Integer layer;

    @Option(names = "--exit-confidence", paramLabel = "P", defaultValue = "0.9",
            description = "--early-exit's rule: the most likely token's probability must reach P (default: ${DEFAULT-VALUE})")
    float confidence;

    boolean given() {
        return layer != null;
    }

    /** The early exit asked for, checked against the model's depth; null when none was. */
    EarlyExit exit(Model model) {
        if (layer == null) return null;
        int layers = model.config().layers();
        if (layer < 1 || layer >= layers) throw new IllegalArgumentException("--early-exit must be between 1 and " + (layers - 1));
        return new EarlyExit(layer, new Confidence(Confidence.Kind.MAX_PROBABILITY, confidence));
    }
}
