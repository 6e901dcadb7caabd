package dev.gem.engine.cli;

import dev.gem.engine.Model;
import dev.gem.engine.synth.Shape;
import dev.gem.engine.synth.SyntheticModel;
import dev.gem.format.GgufFile;
import dev.gem.format.Metadata;
import dev.gem.tensor.DType;
import dev.gem.tokenizer.HuggingFaceGgufMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code gem synth}: writes a random-weight GGUF of a real model shape, so benchmarks and tests need no downloads. */
@Command(name = "synth", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Writes a random-weight GGUF of a named model shape with a real tokenizer. The text it generates",
                "is gibberish, but its speed is that of the real model, and llama.cpp loads the same file.",
                "With --lora-for, writes a random LoRA adapter for a model instead (llama.cpp's adapter format); with",
                "--gem-for and --domains, a GEM model: the model plus a random adapter and router centroids per domain."},
        footer = {"", "Shapes: ${sys:gem.shapes}", "",
                "Examples:",
                "  gem synth --shape llama-1b --type q4_0 --tokenizer ../shared/testdata/tokenizers/llama3/tokenizer.json -o llama-1b-q4_0.gguf",
                "  gem synth --lora-for tiny-llama.gguf --rank 4 --alpha 8 --seed 3 -o law-lora.gguf",
                "  gem synth --gem-for llama-1b-q4_0.gguf --domains law,medicine --rank 16 -o llama-1b.gem.gguf"})
public final class SynthCommand implements Callable<Integer> {
    static {
        System.setProperty("gem.shapes", Shape.names());
    }

    @Spec
    CommandSpec spec;

    @Option(names = "--shape", paramLabel = "NAME", description = "model shape (see below)")
    String shape;

    @Option(names = "--type", paramLabel = "TYPE",
            description = "weight type: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q6_k, ... (default: q4_0; f32 for adapters)")
    String type;

    @Option(names = "--lora-for", paramLabel = "MODEL", description = "write a random LoRA adapter for this GGUF model instead of a model")
    Path loraFor;

    @Option(names = "--gem-for", paramLabel = "MODEL", description = "write a synthetic GEM model (adapters and router) for this GGUF model")
    Path gemFor;

    @Option(names = "--domains", paramLabel = "NAMES", split = ",", description = "--gem-for: domain names")
    java.util.List<String> domains;

    @Option(names = "--centroids", paramLabel = "N", defaultValue = "2", description = "--gem-for: centroids per domain (default: ${DEFAULT-VALUE})")
    int centroids;

    @Option(names = "--router-layer", paramLabel = "L", description = "--gem-for: router layer (default: half the layers)")
    Integer routerLayer;

    @Option(names = "--rank", paramLabel = "R", defaultValue = "4", description = "adapter rank (default: ${DEFAULT-VALUE})")
    int rank;

    @Option(names = "--alpha", paramLabel = "A", defaultValue = "8", description = "adapter alpha; scale = alpha / rank (default: ${DEFAULT-VALUE})")
    float alpha;

    @Option(names = "--targets", paramLabel = "KINDS", split = ",",
            description = "matrices the adapter updates: attn_q, attn_k, attn_v, attn_output, ffn_gate, ffn_up, ffn_down, output, token_embd (default: the first seven)")
    java.util.List<String> targets;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "GGUF file to write")
    Path output;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "vocabulary to embed: a Hugging Face tokenizer.json, or a GGUF whose tokenizer.* keys are copied (default: the embedded stories260K vocabulary)")
    Path tokenizer;

    @Option(names = "--vocab", paramLabel = "N", defaultValue = "0", description = "keep only the first N tokens of the vocabulary")
    int vocabLimit;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--force", description = "overwrite an existing output file")
    boolean force;

    @Override
    public Integer call() throws Exception {
        if (Files.exists(output) && !force)
            throw new IllegalArgumentException(output + " exists; pass --force to overwrite it");
        if (loraFor != null) return adapter();
        if (gemFor != null) return gem();
        if (shape == null) throw new IllegalArgumentException("give --shape NAME (or --lora-for MODEL for an adapter)");
        if (type == null) type = "q4_0";
        Shape s = Shape.NAMED.get(shape);
        if (s == null) throw new IllegalArgumentException("unknown shape '" + shape + "'; known: " + Shape.names());
        DType t = DType.ofName(type);
        if (t == null) throw new IllegalArgumentException("unknown weight type '" + type + "'");
        Metadata vocab;
        if (tokenizer == null) {
            vocab = demoVocabulary();
        } else if (tokenizer.getFileName().toString().endsWith(".json")) {
            vocab = HuggingFaceGgufMetadata.toMetadata(HuggingFaceGgufMetadata.entries(tokenizer), tokenizer.toString());
        } else {
            try (GgufFile f = GgufFile.open(tokenizer)) {
                vocab = f.metadata();
            }
        }
        int tensorCount = Math.toIntExact(countTensors(s, vocab));
        ProgressBar bar = new ProgressBar(spec.commandLine().getErr(), "writing " + output.getFileName(), tensorCount);
        SyntheticModel.write(s, t, vocab, vocabLimit, seed, output, bar::step);
        spec.commandLine().getErr().printf("gem: wrote %s: %s shape %s, %s weights, %.1f MB%n", output, s.arch(), s.name(),
                t.name().toLowerCase(), Files.size(output) / 1e6);
        return 0;
    }

    private int gem() throws Exception {
        if (shape != null || type != null) throw new IllegalArgumentException("--gem-for takes no --shape or --type: the model is given");
        if (domains == null || domains.isEmpty()) throw new IllegalArgumentException("--gem-for needs --domains NAME,NAME,...");
        try (Model base = Model.load(gemFor, dev.gem.engine.ModelOptions.defaults().withContextSize(64))) {
            int layer = routerLayer != null ? routerLayer : base.config().layers() / 2;
            dev.gem.engine.synth.SyntheticGem.write(base, domains, rank, alpha, centroids, layer, dev.gem.router.DomainGate.DEFAULT_THRESHOLD,
                    seed, output, null);
        }
        spec.commandLine().getErr().printf("gem: wrote %s: %s with domains %s (rank-%d adapters, %d centroids each)%n", output, gemFor,
                domains, rank, centroids);
        return 0;
    }

    private int adapter() throws Exception {
        if (shape != null) throw new IllegalArgumentException("--shape and --lora-for are alternatives");
        DType t = type == null ? DType.F32 : DType.ofName(type);
        if (t == null) throw new IllegalArgumentException("unknown weight type '" + type + "'");
        try (GgufFile base = GgufFile.open(loraFor)) {
            var kinds = targets != null ? targets : dev.gem.engine.synth.SyntheticAdapter.DEFAULT_TARGETS;
            dev.gem.engine.synth.SyntheticAdapter.write(base, rank, alpha, kinds, t, seed, output, null);
        }
        spec.commandLine().getErr().printf("gem: wrote %s: rank-%d LoRA (alpha %s) for %s%n", output, rank, alpha, loraFor);
        return 0;
    }

    private static long countTensors(Shape s, Metadata vocab) throws Exception {
        return SyntheticModel.tensorCount(s);
    }

    static Metadata demoVocabulary() throws Exception {
        try (var in = Model.class.getResourceAsStream(Model.DEMO_RESOURCE)) {
            if (in == null) throw new IllegalStateException("embedded demo model missing");
            byte[] b = in.readAllBytes();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment seg = arena.allocate(b.length, 64);
                seg.copyFrom(MemorySegment.ofArray(b));
                try (GgufFile f = GgufFile.read(seg, "embedded:stories260K.gguf", null)) {
                    return f.metadata();
                }
            }
        }
    }
}
