package dev.gem.engine.cli;

import dev.gem.engine.Model;
import dev.gem.engine.ModelOptions;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** The options every command that opens a model shares. */
public final class ModelArgs {
    @Option(names = {"-m", "--model"}, paramLabel = "FILE",
            description = "GGUF model or Hugging Face model folder to load (default: the small story model embedded in gem.jar)")
    Path model;

    @Option(names = {"-t", "--threads"}, paramLabel = "N",
            description = "kernel threads (default: all ${sys:gem.cpus} available processors)")
    Integer threads;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N",
            description = "context size in tokens (default: the model's, at most " + ModelOptions.DEFAULT_CONTEXT + ")")
    int contextSize;

    @Option(names = {"-b", "--batch-size"}, paramLabel = "N", defaultValue = "64",
            description = "prompt tokens per forward pass (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--kv-type", paramLabel = "TYPE", defaultValue = "f16",
            description = "KV cache storage: f16 (half the memory, as llama.cpp) or f32 (default: ${DEFAULT-VALUE})")
    String kvType;

    @Option(names = "--no-repack", description = "read every weight from the mapped file (less memory; quantized models run 2-6x slower)")
    boolean noRepack;

    ModelOptions options() {
        ModelOptions o = ModelOptions.defaults().withContextSize(contextSize).withBatchSize(batchSize)
                .withKvType(kvType(kvType)).withRepack(!noRepack);
        return threads == null ? o : o.withThreads(threads);
    }

    /** The DType of a --kv-type value. */
    static dev.gem.tensor.DType kvType(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "f16" -> dev.gem.tensor.DType.F16;
            case "f32" -> dev.gem.tensor.DType.F32;
            default -> throw new IllegalArgumentException("--kv-type must be f16 or f32, not '" + name + "'");
        };
    }

    Model open() throws IOException {
        return model == null ? Model.loadDemo(options()) : Model.load(model, options());
    }

    String modelName() {
        return model == null ? "embedded stories260K" : model.toString();
    }

    static {
        System.setProperty("gem.cpus", Integer.toString(Runtime.getRuntime().availableProcessors()));
    }
}
