package dev.gem.engine;

/**
 * How a model is opened.
 *
 * @param threads     worker threads for the kernels (default: every available processor)
 * @param contextSize positions the KV cache of each session holds (0: the model's own context length, capped at
 *                    {@link #DEFAULT_CONTEXT} as llama.cpp does, so a 128k-context model does not reserve gigabytes)
 * @param batchSize   most prompt tokens processed in one forward pass
 */
public record ModelOptions(int threads, int contextSize, int batchSize) {
    public static final int DEFAULT_CONTEXT = 4096;

    public ModelOptions {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        if (contextSize < 0) throw new IllegalArgumentException("context size must not be negative, got " + contextSize);
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
    }

    public static ModelOptions defaults() {
        return new ModelOptions(Runtime.getRuntime().availableProcessors(), 0, 64);
    }

    public ModelOptions withThreads(int t) { return new ModelOptions(t, contextSize, batchSize); }

    public ModelOptions withContextSize(int c) { return new ModelOptions(threads, c, batchSize); }

    public ModelOptions withBatchSize(int b) { return new ModelOptions(threads, contextSize, b); }
}
