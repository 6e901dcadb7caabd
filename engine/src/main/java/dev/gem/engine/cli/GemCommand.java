package dev.gem.engine.cli;

import dev.gem.engine.GenerateOptions;
import dev.gem.engine.GenerationResult;
import dev.gem.engine.Model;
import dev.gem.engine.sample.SamplerSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code gem}: generates text from a GGUF model; with no arguments, a story from the embedded demo model. */
@Command(name = "gem", mixinStandardHelpOptions = true, versionProvider = VersionInfo.class, sortOptions = false,
        usageHelpAutoWidth = true,
        header = "GEM: a pure-Java inference engine for on-device language models.",
        description = {
                "Generates text from a GGUF model, streaming tokens to standard output and a one-line timing summary",
                "to standard error. With no arguments it tells a short story with the small model embedded in gem.jar.",
                ""},
        footer = {"", "Examples:",
                "  java -jar gem.jar",
                "  java -jar gem.jar -m model.gguf -p \"The capital of France is\" -n 32 --temp 0",
                "  java -jar gem.jar -m model.gguf --chat --system \"You are terse.\"",
                "  java -jar gem.jar tokenize -m model.gguf -p \"Hello world\""},
        subcommands = {TokenizeCommand.class, TemplateCommand.class, SynthCommand.class, BenchCommand.class, RouterCommand.class,
                ConvertCommand.class, QuantizeCommand.class, PerplexityCommand.class, MergeCommand.class, InspectCommand.class})
public final class GemCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelArgs modelArgs;

    @Mixin
    ScarArgs scarArgs;

    @Mixin
    DepthArgs depthArgs;

    @Mixin
    DomainArgs domainArgs;

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "text to continue (default: none, start from BOS)")
    String prompt;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "read the prompt from a file")
    Path promptFile;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "256",
            description = "tokens to generate; -1 = until end of text or context (default: ${DEFAULT-VALUE})")
    int nPredict;

    @Option(names = "--temp", paramLabel = "T", defaultValue = "" + SamplerSettings.DEFAULT_TEMPERATURE,
            description = "temperature; 0 = greedy (default: ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "" + SamplerSettings.DEFAULT_TOP_K,
            description = "sample from the K most likely tokens; 0 = all (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "" + SamplerSettings.DEFAULT_TOP_P,
            description = "nucleus sampling threshold; 1 = off (default: ${DEFAULT-VALUE})")
    float topP;

    @Option(names = "--min-p", paramLabel = "P", defaultValue = "" + SamplerSettings.DEFAULT_MIN_P,
            description = "drop tokens below P times the top probability; 0 = off (default: ${DEFAULT-VALUE})")
    float minP;

    @Option(names = "--repeat-penalty", paramLabel = "X", defaultValue = "1.0",
            description = "penalize recently seen tokens; 1 = off (default: ${DEFAULT-VALUE})")
    float repeatPenalty;

    @Option(names = "--repeat-last-n", paramLabel = "N", defaultValue = "64",
            description = "how many recent tokens the penalty considers (default: ${DEFAULT-VALUE})")
    int repeatLastN;

    @Option(names = {"-s", "--seed"}, paramLabel = "N", defaultValue = "-1",
            description = "random seed; -1 = a new one each run (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--chat", description = "interactive chat through the model's chat template (the prompt, if any, is the first message)")
    boolean chat;

    @Option(names = "--system", paramLabel = "TEXT", description = "system message for --chat")
    String system;

    @Override
    public Integer call() throws Exception {
        if (prompt != null && promptFile != null) throw new IllegalArgumentException("give the prompt with -p or -f, not both");
        String text = promptFile != null ? Files.readString(promptFile, StandardCharsets.UTF_8) : prompt == null ? "" : prompt;
        if (nPredict < -1) throw new IllegalArgumentException("-n must be -1 or more, got " + nPredict);
        long s = seed == -1 ? new java.util.Random().nextLong() & Long.MAX_VALUE : seed;
        SamplerSettings sampler = new SamplerSettings(temperature, topK, topP, minP, repeatPenalty, repeatLastN, s);
        PrintWriter out = spec.commandLine().getOut();
        if (system != null && !chat) throw new IllegalArgumentException("--system needs --chat");
        if (chat) {
            try (Model model = domainArgs.open(modelArgs)) {
                int max = nPredict == -1 ? model.contextSize() : nPredict;
                return new ChatLoop(model, domainArgs.apply(depthArgs.apply(new GenerateOptions(max, sampler, true, true, scarArgs.settings(model)), model)), system, out,
                        spec.commandLine().getErr(), domainArgs.showRouting ? new DomainArgs.Collector() : null).run(text.isEmpty() ? null : text);
            }
        }
        long loadStart = System.nanoTime();
        try (Model model = domainArgs.open(modelArgs); var session = model.newSession()) {
            double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
            int max = nPredict == -1 ? model.contextSize() : nPredict;
            GenerateOptions opts = domainArgs.apply(depthArgs.apply(new GenerateOptions(max, sampler, true, true, scarArgs.settings(model)), model));
            var routes = domainArgs.showRouting ? new DomainArgs.Collector() : null;
            if (routes != null) session.setRoutingListener(routes);
            out.print(text);
            out.flush();
            // a story started from BOS alone would otherwise begin with SentencePiece's word-separating space
            boolean[] atStart = {text.isEmpty()};
            GenerationResult r = session.generate(text, opts, (id, piece) -> {
                if (atStart[0] && !piece.isEmpty()) {
                    piece = piece.stripLeading();
                    atStart[0] = piece.isEmpty();
                }
                out.print(piece);
                out.flush();
                return true;
            });
            out.println();
            out.flush();
            String routing = opts.scar() != null ? " | SCAR " + session.routingStats().summary() : "";
            if (opts.speculation() != null) routing += " | " + session.lastSpeculation().summary();
            if (opts.earlyExit() != null) {
                long[] e = session.earlyExitCounts();
                routing += " | early exit: " + e[0] + " of " + e[1] + " tokens";
            }
            if (routes != null) routes.print(spec.commandLine().getErr(), model);
            spec.commandLine().getErr().println("gem: " + String.format("load: %.2f s | ", loadSeconds) + r.summary() + (sampler.isGreedy() ? "" : " | seed " + s) + routing);
        }
        return 0;
    }
}
