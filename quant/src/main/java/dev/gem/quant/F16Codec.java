package dev.gem.quant;

import dev.gem.tensor.DType;
import dev.gem.tensor.Float16;
import dev.gem.tensor.LE;

import java.lang.foreign.MemorySegment;

/** IEEE half precision; encoding rounds to nearest-even and overflows to infinity, as ggml_fp32_to_fp16_row does. */
public final class F16Codec implements BlockCodec {
    @Override
    public DType type() {
        return DType.F16;
    }

    @Override
    public void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) dst[dstOff + i] = Float16.halfToFloat(src.get(LE.SHORT, off + 2L * i));
    }

    @Override
    public void quantize(float[] src, int srcOff, MemorySegment dst, long off, int n) {
        for (int i = 0; i < n; i++) dst.set(LE.SHORT, off + 2L * i, Float16.floatToHalf(src[srcOff + i]));
    }
}
