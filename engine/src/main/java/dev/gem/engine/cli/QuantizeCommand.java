package dev.gem.engine.cli;

import dev.gem.engine.Model;
import dev.gem.engine.ModelFiles;
import dev.gem.engine.ModelOptions;
import dev.gem.engine.quantize.GgufExport;
import dev.gem.engine.quantize.Perplexity;
import dev.gem.engine.quantize.SensitivityProbe;
import dev.gem.format.ModelFile;
import dev.gem.quant.Codecs;
import dev.gem.quant.plan.PlannedTensor;
import dev.gem.quant.plan.PrecisionPlan;
import dev.gem.quant.plan.TypeChoice;
import dev.gem.tensor.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code gem quantize}: re-encodes a model's weights by a precision plan and reports what it cost in size and quality. */
@Command(name = "quantize", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Writes a copy of a model (a GGUF file, or a Hugging Face folder) with its weights in other storage types:",
                "one type for every matrix (--type, like llama-quantize --pure), GEM's hybrid int4/int8 plan (--plan hybrid),",
                "or int4 with the tensors whose int4 rounding most changes the output kept at int8 within a size budget",
                "(--plan sensitivity). Norms, biases and routers stay F32. Rows that do not fit a type's blocks fall back",
                "as llama-quantize does, and each fallback is reported. The input is never overwritten."},
        footer = {"", "Types: q4_0 q4_1 q5_0 q5_1 q8_0 q2_k q3_k q4_k q5_k q6_k iq4_nl iq4_xs f16 bf16 f32", "",
                "Examples:",
                "  gem quantize model-f16.gguf model-q4_k.gguf --type q4_k --eval wiki.test.raw",
                "  gem quantize model-f16.gguf model-hybrid.gguf --plan hybrid --verbose",
                "  gem quantize model-f16.gguf model-5bpw.gguf --plan sensitivity --calibration calib.txt --target-bpw 5"})
public final class QuantizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "GGUF file or Hugging Face model folder")
    Path input;

    @Parameters(index = "1", paramLabel = "OUT.gguf", description = "GGUF file to write")
    Path output;

    @Option(names = "--type", paramLabel = "TYPE", description = "one type for every weight matrix")
    String type;

    @Option(names = "--plan", paramLabel = "PLAN", description = "hybrid or sensitivity (instead of --type)")
    String plan;

    @Option(names = "--int4", paramLabel = "TYPE", defaultValue = "q4_k", description = "the plans' 4-bit type: q4_k or q4_0 (default: ${DEFAULT-VALUE})")
    String int4Name;

    @Option(names = "--int8", paramLabel = "TYPE", defaultValue = "q8_0", description = "the plans' 8-bit type (default: ${DEFAULT-VALUE})")
    String int8Name;

    @Option(names = "--calibration", paramLabel = "TEXT", description = "sensitivity plan: text to measure the KL divergence on")
    Path calibration;

    @Option(names = "--calibration-tokens", paramLabel = "N", defaultValue = "256",
            description = "sensitivity plan: use the first N tokens of the calibration text (default: ${DEFAULT-VALUE})")
    int calibrationTokens;

    @Option(names = "--target-bpw", paramLabel = "BITS", description = "sensitivity plan: size budget in bits per weight")
    Double targetBpw;

    @Option(names = "--per-tensor", description = "sensitivity plan: measure every tensor alone (default: per layer and class)")
    boolean perTensor;

    @Option(names = "--eval", paramLabel = "TEXT", description = "measure perplexity on this text before and after")
    Path eval;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", defaultValue = "512",
            description = "--eval chunk size in tokens (default: ${DEFAULT-VALUE})")
    int evalContext;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "threads for --eval and the sensitivity plan (default: all)")
    Integer threads;

    @Option(names = "--verbose", description = "print the type of every tensor and why")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        checkPaths();
        DType int4 = type(int4Name, "--int4"), int8 = type(int8Name, "--int8");
        try (ModelFile source = ModelFiles.open(input)) {
            List<PlannedTensor> tensors = GgufExport.tensorsOf(source);
            if (tensors.stream().anyMatch(t -> t.quantizable() && t.source().isQuantized()))
                err.println("gem: warning: " + input + " is already quantized; quantizing it again adds the errors up (start from f32/f16/bf16 if you can)");
            String evalText = eval == null ? null : Files.readString(eval, StandardCharsets.UTF_8);
            Perplexity.Result before = evalText == null ? null : perplexity(Model.open(ModelFiles.borrow(source), options(evalContext)), evalText, "before", err);
            PrecisionPlan p = plan(source, tensors, int4, int8, err);
            report(p, err);

            ProgressBar bar = new ProgressBar(err, "writing " + output.getFileName(), p.choices().size());
            GgufExport.writerWithPlan(source, p).write(output, bar::step);

            long sourceBytes = 0, elements = 0;
            for (var t : source.tensors().values()) {
                sourceBytes += t.byteSize();
                elements += t.elementCount();
            }
            err.printf(Locale.ROOT, "gem: wrote %s: %s of tensors (%.2f bits per weight), was %s (%.2f bpw): %.2fx smaller; file %s%n",
                    output, mb(p.bytes()), p.bitsPerWeight(), mb(sourceBytes), 8.0 * sourceBytes / elements,
                    (double) sourceBytes / p.bytes(), mb(Files.size(output)));
            if (evalText != null) {
                Perplexity.Result after = perplexity(Model.load(output, options(evalContext)), evalText, "after", err);
                err.printf(Locale.ROOT, "gem: perplexity over %d chunks of %d: before %.4f +/- %.5f, after %.4f +/- %.5f (%+.2f%%)%n",
                        after.chunks(), evalContext, before.ppl(), before.error(), after.ppl(), after.error(),
                        100 * (after.ppl() / before.ppl() - 1));
            }
        }
        return 0;
    }

    /** The output must be a new file or another file, never the input itself. */
    private void checkPaths() throws IOException {
        if (Files.isDirectory(output)) throw new IllegalArgumentException(output + " is a folder; give the GGUF file to write");
        boolean same = input.toAbsolutePath().normalize().equals(output.toAbsolutePath().normalize())
                || (Files.exists(output) && Files.exists(input) && Files.isSameFile(input, output));
        if (same) throw new IllegalArgumentException("the output " + output + " is the input; gem quantize never overwrites its input");
    }

    private PrecisionPlan plan(ModelFile source, List<PlannedTensor> tensors, DType int4, DType int8, PrintWriter err) throws IOException {
        if ((type == null) == (plan == null)) throw new IllegalArgumentException("give either --type TYPE or --plan hybrid|sensitivity");
        if (type != null) return PrecisionPlan.uniform(tensors, type(type, "--type"));
        return switch (plan.toLowerCase(Locale.ROOT)) {
            case "hybrid" -> PrecisionPlan.hybrid(tensors, int4, int8);
            case "sensitivity" -> sensitivityPlan(source, tensors, int4, int8, err);
            default -> throw new IllegalArgumentException("unknown plan '" + plan + "' (hybrid or sensitivity)");
        };
    }

    private PrecisionPlan sensitivityPlan(ModelFile source, List<PlannedTensor> tensors, DType int4, DType int8, PrintWriter err) throws IOException {
        if (calibration == null) throw new IllegalArgumentException("--plan sensitivity needs --calibration TEXT");
        if (targetBpw == null) throw new IllegalArgumentException("--plan sensitivity needs --target-bpw BITS (e.g. 5)");
        if (calibrationTokens < 2) throw new IllegalArgumentException("--calibration-tokens must be at least 2");
        // the int4 type each tensor would really get, fallbacks included, is what its sensitivity is measured with
        Map<String, DType> int4Of = new HashMap<>();
        for (TypeChoice c : PrecisionPlan.bySensitivity(tensors, List.of(), int4, int8, Double.MAX_VALUE).choices())
            int4Of.put(c.tensor().name(), c.type());
        String text = Files.readString(calibration, StandardCharsets.UTF_8);
        ModelOptions opts = options(calibrationTokens);
        int[] tokens;
        try (Model m = Model.open(ModelFiles.borrow(source), opts)) {
            tokens = Perplexity.tokenize(m, text);
        }
        tokens = Arrays.copyOf(tokens, Math.min(tokens.length, calibrationTokens));
        List<SensitivityProbe.Group> groups = SensitivityProbe.groups(tensors, perTensor);
        err.printf("gem: measuring the int4 sensitivity of %d groups on %d calibration tokens%n", groups.size(), tokens.length);
        ProgressBar bar = new ProgressBar(err, "measuring", groups.size());
        List<PrecisionPlan.Sensitivity> s = SensitivityProbe.measure(source, opts, tokens, groups, int4Of::get, bar::step);
        return PrecisionPlan.bySensitivity(tensors, s, int4, int8, targetBpw);
    }

    private void report(PrecisionPlan p, PrintWriter err) {
        err.printf(Locale.ROOT, "gem: %s -> %s with plan: %s (%.2f bits per weight)%n", input, output, p.description(), p.bitsPerWeight());
        for (TypeChoice c : verbose ? p.choices() : p.notes()) {
            String from = c.tensor().source().name().toLowerCase(Locale.ROOT), to = c.type().name().toLowerCase(Locale.ROOT);
            err.printf("gem: %-32s %-16s %5s -> %-6s%s%n", c.tensor().name(), Arrays.toString(c.tensor().dims()), from, to,
                    c.note() == null ? "" : "  " + c.note());
        }
        err.flush();
    }

    private Perplexity.Result perplexity(Model model, String text, String when, PrintWriter err) {
        try (model) {
            int[] tokens = Perplexity.tokenize(model, text);
            Perplexity.Result r = Perplexity.compute(model, tokens, evalContext, null);
            err.printf(Locale.ROOT, "gem: perplexity %s: %.4f +/- %.5f (%d chunks of %d)%n", when, r.ppl(), r.error(), r.chunks(), evalContext);
            err.flush();
            return r;
        }
    }

    /** Evaluation and calibration runs keep an F32 KV cache: they measure the weights' rounding, nothing else's. */
    private ModelOptions options(int context) {
        ModelOptions o = ModelOptions.defaults().withContextSize(context).withKvType(DType.F32);
        return threads == null ? o : o.withThreads(threads);
    }

    private static DType type(String name, String option) {
        DType t = DType.ofName(name);
        if (t == null || !Codecs.supports(t) || t == DType.Q8_1 || t == DType.Q8_K)
            throw new IllegalArgumentException(option + ": unknown or unwritable type '" + name + "'");
        return t;
    }

    private static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.2f MB", bytes / 1e6);
    }
}
