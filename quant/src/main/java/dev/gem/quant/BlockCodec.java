package dev.gem.quant;

import dev.gem.tensor.DType;

import java.lang.foreign.MemorySegment;

/**
 * The scalar reference of one storage format: how its bytes turn into floats and back. Plain Java, no SIMD, written
 * for clarity; the kernels module's fast paths are tested against these.
 * Counts are in elements and must be whole blocks of {@link #type()}.
 */
public interface BlockCodec {
    DType type();

    /** Decodes {@code n} values stored at byte offset {@code off} of {@code src} into {@code dst[dstOff ..]}. */
    void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n);

    /**
     * Encodes {@code n} values from {@code src[srcOff ..]} into {@code dst} at byte offset {@code off}, with the same
     * rounding as ggml's reference quantizer ({@code quantize_row_*_ref}), so files GEM writes match llama.cpp's.
     */
    void quantize(float[] src, int srcOff, MemorySegment dst, long off, int n);
}
