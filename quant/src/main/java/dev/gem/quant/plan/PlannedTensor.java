package dev.gem.quant.plan;

import dev.gem.tensor.DType;

/**
 * A tensor as a precision plan sees it: its name, GGUF dimensions ({@code dims[0]} is the row length) and the type it
 * is stored in now. Plans need nothing else, so they work the same for a GGUF file and a Hugging Face folder.
 */
public record PlannedTensor(String name, long[] dims, DType source) {
    public PlannedTensor {
        dims = dims.clone();
    }

    public long elements() {
        long n = 1;
        for (long d : dims) n = Math.multiplyExact(n, d);
        return n;
    }

    public long rowLength() { return dims[0]; }

    public int rank() { return dims.length; }

    public TensorRole role() { return TensorRole.of(name); }

    public boolean quantizable() { return role().quantizable(rank()); }
}
