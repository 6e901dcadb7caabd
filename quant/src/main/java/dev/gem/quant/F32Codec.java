package dev.gem.quant;

import dev.gem.tensor.DType;
import dev.gem.tensor.LE;

import java.lang.foreign.MemorySegment;

/** Plain little-endian float32: a copy both ways. */
public final class F32Codec implements BlockCodec {
    @Override
    public DType type() {
        return DType.F32;
    }

    @Override
    public void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        MemorySegment.copy(src, LE.FLOAT, off, dst, dstOff, n);
    }

    @Override
    public void quantize(float[] src, int srcOff, MemorySegment dst, long off, int n) {
        MemorySegment.copy(src, srcOff, dst, LE.FLOAT, off, n);
    }
}
