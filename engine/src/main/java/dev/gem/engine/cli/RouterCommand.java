package dev.gem.engine.cli;

import picocli.CommandLine.Command;

/** {@code gem router}: tools for GEM's routing (the Dynamic Token Router's calibration, domain routers). */
@Command(name = "router", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = "Calibrates and builds GEM routing: cheap paths for the Dynamic Token Router, domain routers.",
        subcommands = {CalibrateCommand.class, FitCommand.class})
public final class RouterCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
