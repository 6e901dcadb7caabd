package dev.gem.quant;

import dev.gem.tensor.DType;
import dev.gem.tensor.Float16;
import dev.gem.tensor.LE;

import java.lang.foreign.MemorySegment;

/** bfloat16, the top half of a float32; encoding as ggml_fp32_to_bf16_row_ref (nearest-even, NaN kept quiet). */
public final class BF16Codec implements BlockCodec {
    @Override
    public DType type() {
        return DType.BF16;
    }

    @Override
    public void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) dst[dstOff + i] = Float16.bf16ToFloat(src.get(LE.SHORT, off + 2L * i));
    }

    @Override
    public void quantize(float[] src, int srcOff, MemorySegment dst, long off, int n) {
        for (int i = 0; i < n; i++) dst.set(LE.SHORT, off + 2L * i, Float16.floatToBf16(src[srcOff + i]));
    }
}
