package dev.gem.engine;

import dev.gem.tensor.DType;

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
 * @param kvType      how the KV cache stores keys and values: {@link DType#F16} (default, as llama.cpp: half the memory)
 *                    or {@link DType#F32} (exact; what the llama.cpp reference fixtures were made with)
 * @param repack      let the kernels keep repacked copies of the matrices where that is faster (default; Q4_0, Q8_0,
 *                    Q4_1, Q5_0, Q5_1, IQ4_NL, IQ4_XS, the K-quants: about the model's size in extra native memory,
 *                    1.3–4.6 times it for the K-quants and IQ types); false reads every weight from the mapped file
 *                    (zero-copy, for devices short of memory). The copies are freed when the model is closed.
 *                    They take no more than the physical memory available less a session's KV cache and 256 MB
 *                    ({@link PhysicalMemory}; -Dgem.repackMemory=SIZE sets it): matrices that do not fit, or
 *                    all that remain when an allocation fails, stay zero-copy, with a warning.
 */
public record ModelOptions(int threads, int contextSize, int batchSize, dev.gem.kernels.Kernels kernels,
                           java.util.List<AdapterFile> adapters, DType kvType, boolean repack) {
    public static final int DEFAULT_CONTEXT = 4096;

    public ModelOptions {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        if (contextSize < 0) throw new IllegalArgumentException("context size must not be negative, got " + contextSize);
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        adapters = java.util.List.copyOf(adapters);
        if (kvType != DType.F16 && kvType != DType.F32)
            throw new IllegalArgumentException("KV cache type must be F16 or F32, not " + kvType);
    }

    public ModelOptions(int threads, int contextSize, int batchSize, dev.gem.kernels.Kernels kernels) {
        this(threads, contextSize, batchSize, kernels, java.util.List.of(), DType.F16, true);
    }

    public static ModelOptions defaults() {
        return new ModelOptions(Runtime.getRuntime().availableProcessors(), 0, 64, null);
    }

    public ModelOptions withThreads(int t) { return new ModelOptions(t, contextSize, batchSize, kernels, adapters, kvType, repack); }

    public ModelOptions withContextSize(int c) { return new ModelOptions(threads, c, batchSize, kernels, adapters, kvType, repack); }

    public ModelOptions withBatchSize(int b) { return new ModelOptions(threads, contextSize, b, kernels, adapters, kvType, repack); }

    public ModelOptions withKernels(dev.gem.kernels.Kernels k) { return new ModelOptions(threads, contextSize, batchSize, k, adapters, kvType, repack); }

    public ModelOptions withKvType(DType t) { return new ModelOptions(threads, contextSize, batchSize, kernels, adapters, t, repack); }

    public ModelOptions withRepack(boolean r) { return new ModelOptions(threads, contextSize, batchSize, kernels, adapters, kvType, r); }

    /** Also loads this adapter file, bound to its domain. */
    public ModelOptions withAdapter(AdapterFile a) {
        var list = new java.util.ArrayList<>(adapters);
        list.add(a);
        return new ModelOptions(threads, contextSize, batchSize, kernels, list, kvType, repack);
    }
}
