package dev.gem.engine.cli;

import dev.gem.engine.Model;
import dev.gem.engine.ModelOptions;
import dev.gem.engine.Session;
import dev.gem.engine.model.ModelConfig;
import dev.gem.kernels.Backend;
import dev.gem.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code gem bench}: llama-bench's two measurements on one model. {@code ppN} feeds an N-token prompt to an empty
 * context in batches; {@code tgN} generates N tokens one forward pass at a time. Tokens are random ids and nothing is
 * sampled or decoded, so only the model's own work is timed. Each test runs once untimed (JIT warm-up) and then
 * {@code -r} times; the table shows mean ± standard deviation of tokens per second, and for generation the weight
 * bytes one token streams and the bandwidth that implies.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Measures prompt processing (ppN) and generation (tgN) speed the way llama-bench does, so the",
                "numbers can be set next to llama.cpp's on the same file and machine."},
        footer = {"", "Example:", "  gem bench -m llama-1b-q4_0.gguf -p 128 -n 64 -r 3"})
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE", description = "GGUF model")
    Path model;

    @Option(names = {"-p", "--n-prompt"}, paramLabel = "N", defaultValue = "128", description = "prompt tokens; 0 skips the test (default: ${DEFAULT-VALUE})")
    int nPrompt;

    @Option(names = {"-n", "--n-gen"}, paramLabel = "N", defaultValue = "64", description = "generated tokens; 0 skips the test (default: ${DEFAULT-VALUE})")
    int nGen;

    @Option(names = {"-r", "--repetitions"}, paramLabel = "N", defaultValue = "3", description = "timed repetitions of each test (default: ${DEFAULT-VALUE})")
    int reps;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "kernel threads (default: all processors)")
    Integer threads;

    @Option(names = {"-b", "--batch-size"}, paramLabel = "N", defaultValue = "512", description = "prompt tokens per forward pass (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--kv-type", paramLabel = "TYPE", defaultValue = "f16", description = "KV cache storage: f16 or f32 (default: ${DEFAULT-VALUE})")
    String kvType;

    @Option(names = "--no-repack", description = "read every weight from the mapped file (zero-copy)")
    boolean noRepack;

    @Option(names = "--json", description = "one JSON object per line per test instead of a table")
    boolean json;

    @picocli.CommandLine.Mixin
    ScarArgs scarArgs;

    record Result(String test, double mean, double stddev, double gbPerSec, double expertsPerToken) {}

    @Override
    public Integer call() throws Exception {
        if (nPrompt < 0 || nGen < 0) throw new IllegalArgumentException("-p and -n must not be negative");
        if (reps < 1) throw new IllegalArgumentException("-r must be at least 1");
        int t = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        ModelOptions opts = ModelOptions.defaults().withThreads(t).withBatchSize(Math.max(1, Math.min(batch, Math.max(nPrompt, 1))))
                .withContextSize(Math.max(nPrompt, nGen) + 1).withKvType(ModelArgs.kvType(kvType)).withRepack(!noRepack);
        PrintWriter out = spec.commandLine().getOut();
        try (Model m = Model.load(model, opts)) {
            ModelConfig c = m.config();
            var scar = scarArgs.settings(m);
            SplittableRandom rng = new SplittableRandom(1234);
            List<Result> results = new ArrayList<>();
            if (nPrompt > 0) {
                int[] prompt = rng.ints(nPrompt, 0, c.vocab()).toArray();
                results.add(measure("pp" + nPrompt, nPrompt, m, scar, false, s -> s.feed(prompt)));
            }
            if (nGen > 0) {
                int[] tokens = rng.ints(nGen, 0, c.vocab()).toArray();
                results.add(measure("tg" + nGen, nGen, m, scar, true, s -> {
                    int[] one = new int[1];
                    for (int tok : tokens) {
                        one[0] = tok;
                        s.feed(one);
                    }
                }));
            }
            print(out, m, t, results);
        }
        return 0;
    }

    private Result measure(String name, int tokens, Model m, dev.gem.router.ScarSettings scar, boolean generation,
                           java.util.function.Consumer<Session> run) {
        double experts = 0;
        long decisions = 0;
        double[] tps = new double[reps];
        for (int i = -1; i < reps; i++) { // i = -1: warm-up (JIT compilation, first touch of the mapped weights)
            try (Session s = m.newSession()) {
                s.setScar(scar);
                long t0 = System.nanoTime();
                run.accept(s);
                long t1 = System.nanoTime();
                if (i >= 0) tps[i] = tokens / ((t1 - t0) / 1e9);
                if (i >= 0 && scar != null) {
                    experts += s.routingStats().meanExperts() * s.routingStats().decisions();
                    decisions += s.routingStats().decisions();
                }
            }
        }
        double mean = 0;
        for (double v : tps) mean += v;
        mean /= reps;
        double var = 0;
        for (double v : tps) var += (v - mean) * (v - mean);
        double sd = reps > 1 ? Math.sqrt(var / (reps - 1)) : 0;
        var c = m.config();
        double k = !c.isMoe() ? 0 : scar == null ? c.expertsUsed() : experts / Math.max(1, decisions);
        double bytes = generation ? bytesPerGeneratedToken(m, k) : 0;
        return new Result(name, mean, sd, bytes * mean / 1e9, k);
    }

    /**
     * Weight bytes one decoding step reads: every tensor except the embedding table (one row), with expert tensors
     * counted at the fraction of experts a token uses (on average). The tied output head reads the whole embedding table.
     */
    static long bytesPerGeneratedToken(Model m, double expertsPerToken) {
        ModelConfig c = m.config();
        boolean tied = m.file().tensor("output.weight") == null;
        double bytes = 0;
        for (Tensor t : m.file().tensors().values()) {
            String n = t.name();
            if (n.equals("token_embd.weight")) bytes += tied ? t.byteSize() : t.rowBytes();
            else if (n.contains("_exps.")) bytes += t.byteSize() * expertsPerToken / c.experts();
            else bytes += t.byteSize();
        }
        return (long) bytes;
    }

    private void print(PrintWriter out, Model m, int threads, List<Result> results) {
        long size = 0, params = 0;
        for (Tensor t : m.file().tensors().values()) {
            size += t.byteSize();
            params += t.elementCount();
        }
        String name = m.file().metadata().keys().contains("general.name") ? safeName(m) : model.getFileName().toString();
        String backend = "java " + Backend.get().name();
        if (json) {
            for (Result r : results)
                out.println(String.format(Locale.ROOT,
                        "{\"model\":\"%s\",\"size\":%d,\"params\":%d,\"backend\":\"%s\",\"threads\":%d,\"test\":\"%s\",\"tok_s\":%.3f,\"stddev\":%.3f,\"gb_s\":%s%s}",
                        jsonEscape(name), size, params, backend, threads, r.test, r.mean, r.stddev,
                        r.gbPerSec > 0 ? String.format(Locale.ROOT, "%.3f", r.gbPerSec) : "null",
                        r.expertsPerToken > 0 ? String.format(Locale.ROOT, ",\"experts_per_token\":%.3f", r.expertsPerToken) : ""));
            out.flush();
            return;
        }
        boolean moe = m.config().isMoe();
        out.println("| model | size | params | backend | threads | test | t/s | weights/token | GB/s |" + (moe ? " experts/token |" : ""));
        out.println("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |" + (moe ? " ---: |" : ""));
        for (Result r : results)
            out.println(String.format(Locale.ROOT, "| %s | %s | %s | %s | %d | %s | %.2f ± %.2f | %s | %s |%s",
                    name, bytes(size), count(params), backend, threads, r.test, r.mean, r.stddev,
                    r.gbPerSec > 0 ? String.format(Locale.ROOT, "%.0f MB", r.gbPerSec * 1e9 / r.mean / 1e6) : "",
                    r.gbPerSec > 0 ? String.format(Locale.ROOT, "%.1f", r.gbPerSec) : "",
                    moe ? String.format(Locale.ROOT, " %.2f |", r.expertsPerToken) : ""));
        out.flush();
    }

    private static String bytes(long b) {
        return b >= 1L << 30 ? String.format(Locale.ROOT, "%.2f GiB", b / (double) (1L << 30))
                : String.format(Locale.ROOT, "%.2f MiB", b / (double) (1L << 20));
    }

    private static String count(long n) {
        return n >= 1_000_000_000 ? String.format(Locale.ROOT, "%.2f B", n / 1e9)
                : n >= 1_000_000 ? String.format(Locale.ROOT, "%.2f M", n / 1e6) : String.format(Locale.ROOT, "%.2f K", n / 1e3);
    }

    private static String safeName(Model m) {
        try {
            return m.file().metadata().getString("general.name");
        } catch (Exception e) {
            return "model";
        }
    }

    private static String jsonEscape(String s) {
        StringBuilder b = new StringBuilder();
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') b.append('\\').append(ch);
            else if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
            else b.append(ch);
        }
        return b.toString();
    }
}
