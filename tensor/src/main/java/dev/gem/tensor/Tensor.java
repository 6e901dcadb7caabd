package dev.gem.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A named, typed view of tensor data: usually a slice of the one mapped model file, never a copy.
 * Dimensions follow GGUF/ggml order: {@code dims[0]} is the contiguous row length, the rest count rows.
 * A weight matrix {@code W} with {@code dims = [in, out]} therefore stores {@code out} rows of {@code in} values,
 * which is exactly what a matrix-vector product {@code W·x} walks.
 */
public final class Tensor {
    private final String name;
    private final DType type;
    private final long[] dims;
    private final MemorySegment data;

    public Tensor(String name, DType type, long[] dims, MemorySegment data) {
        this.name = name;
        this.type = type;
        this.dims = dims.clone();
        this.data = data;
        long need = type.bytesFor(elementCount());
        if (data.byteSize() != need)
            throw new IllegalArgumentException("tensor " + name + ": " + data.byteSize() + " bytes of data, shape needs " + need);
    }

    public String name() { return name; }

    public DType type() { return type; }

    public long[] dims() { return dims.clone(); }

    public int rank() { return dims.length; }

    public long dim(int i) { return i < dims.length ? dims[i] : 1; }

    public MemorySegment data() { return data; }

    public long elementCount() {
        long n = 1;
        for (long d : dims) n = Math.multiplyExact(n, d);
        return n;
    }

    /** Elements per row (dims[0]). */
    public int cols() { return Math.toIntExact(dims[0]); }

    /** Number of rows: the product of all dimensions after the first. */
    public long rowCount() { return elementCount() / dims[0]; }

    /** Rows as an int, for matrices whose row count is an array index. */
    public int rows() { return Math.toIntExact(rowCount()); }

    public long rowBytes() { return type.bytesFor(dims[0]); }

    public long byteSize() { return data.byteSize(); }

    /**
     * The i-th slice along the last dimension, as its own tensor (for a stacked expert tensor
     * {@code [in, out, experts]}, slice e is expert e's {@code [in, out]} matrix).
     */
    public Tensor slice(long i) {
        long[] inner = Arrays.copyOf(dims, dims.length - 1);
        long count = dims[dims.length - 1];
        if (i < 0 || i >= count) throw new IndexOutOfBoundsException(name + ": slice " + i + " of " + count);
        long bytes = data.byteSize() / count;
        return new Tensor(name + "[" + i + "]", type, inner, data.asSlice(i * bytes, bytes));
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(dims);
    }
}
