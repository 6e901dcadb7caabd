package dev.gem.engine.cli;

import dev.gem.engine.Model;
import dev.gem.router.ScarSettings;
import picocli.CommandLine.Option;

/** SCAR's knobs on the command line; any of them switches a mixture-of-experts model to variable-k routing. */
public final class ScarArgs {
    @Option(names = "--scar-tau", paramLabel = "P",
            description = "SCAR: give each token the fewest experts covering this much router probability (0-1]")
    Float tau;

    @Option(names = "--scar-kmin", paramLabel = "K", description = "SCAR: fewest experts per token (default 1)")
    Integer kMin;

    @Option(names = "--scar-kmax", paramLabel = "K", description = "SCAR: most experts per token (default: the model's k)")
    Integer kMax;

    @Option(names = "--scar-temp", paramLabel = "T", description = "SCAR: router temperature (default 1)")
    Float temperature;

    boolean given() {
        return tau != null || kMin != null || kMax != null || temperature != null;
    }

    /**
     * The settings asked for, the rest filled in from the GEM file's SCAR defaults (gem.scar.*) or else the model's own
     * routing; null when no SCAR option was given (generation then uses the file's defaults, if any).
     */
    ScarSettings settings(Model model) {
        if (!given()) return null;
        var c = model.config();
        if (!c.isMoe()) throw new IllegalArgumentException("--scar-* options need a mixture-of-experts model; " + c.arch().name() + " has no experts");
        ScarSettings file = model.gem().scar();
        int max = kMax != null ? kMax : file != null ? file.kMax() : c.expertsUsed();
        int min = kMin != null ? kMin : file != null ? file.kMin() : 1;
        return new ScarSettings(tau != null ? tau : file != null ? file.tau() : 1f, min, max,
                temperature != null ? temperature : file != null ? file.temperature() : 1f);
    }
}
