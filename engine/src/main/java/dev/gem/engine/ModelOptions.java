package dev.gem.engine;

/**
 * How a model is opened.
 *
 * @param threads     worker threads for the kernels (default: every available processor)
 * @param contextSize positions the KV cache of each session holds (0: the model's own context length, capped at
 *                    {@link #DEFAULT_CONTEXT} as llama.cpp does, so a 128k-context model does not reserve gigabytes)
 * @param batchSize   most prompt tokens processed in one forward pass
 * @param kernels     the compute backend (null: the one {@link dev.gem.kernels.Backend} chose for this JVM); e.g.
 *                    {@link dev.gem.kernels.GgmlCompatibleKernels} to reproduce llama.cpp's numerics exactly
 * @param adapters    LoRA adapter files to load with the model, each bound to a domain
 */
public record ModelOptions(int threads, int contextSize, int batchSize, dev.gem.kernels.Kernels kernels,
                           java.util.List<AdapterFile> adapters) {
    public static final int DEFAULT_CONTEXT = 4096;

    public ModelOptions {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        if (contextSize < 0) throw new IllegalArgumentException("context size must not be negative, got " + contextSize);
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        adapters = java.util.List.copyOf(adapters);
    }

    public ModelOptions(int threads, int contextSize, int batchSize, dev.gem.kernels.Kernels kernels) {
        this(threads, contextSize, batchSize, kernels, java.util.List.of());
    }

    public static ModelOptions defaults() {
        return new ModelOptions(Runtime.getRuntime().availableProcessors(), 0, 64, null);
    }

    public ModelOptions withThreads(int t) { return new ModelOptions(t, contextSize, batchSize, kernels, adapters); }

    public ModelOptions withContextSize(int c) { return new ModelOptions(threads, c, batchSize, kernels, adapters); }

    public ModelOptions withBatchSize(int b) { return new ModelOptions(threads, contextSize, b, kernels, adapters); }

    public ModelOptions withKernels(dev.gem.kernels.Kernels k) { return new ModelOptions(threads, contextSize, batchSize, k, adapters); }

    /** Also loads this adapter file, bound to its domain. */
    public ModelOptions withAdapter(AdapterFile a) {
        var list = new java.util.ArrayList<>(adapters);
        list.add(a);
        return new ModelOptions(threads, contextSize, batchSize, kernels, list);
    }
}
