package dev.gem.kernels;

import dev.gem.quant.BlockCodec;
import dev.gem.quant.Codecs;
import dev.gem.tensor.DType;
import dev.gem.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.EnumMap;
import java.util.Map;

/**
 * A reference backend with ggml's CPU numerics for weight products: before a dot product with a quantized (or 16-bit)
 * row, the activations are rounded to that type's companion format the way ggml does it (Q8_0 for Q4_0/Q5_0/Q8_0/
 * IQ4_NL/MXFP4, Q8_1 for Q4_1/Q5_1, Q8_K for the K-quants and IQ4_XS, F16 for F16, BF16 for BF16). The products are then
 * summed exactly (in double), so results differ from llama.cpp's only by its float summation order. It is how GEM checks
 * each weight type against llama.cpp's logits to 1e-4 rather than to the 0.05-0.1 that activation quantization
 * alone produces; it is slow and not meant to run models for speed.
 */
public final class GgmlCompatibleKernels extends ScalarKernels {
    private static final Map<DType, DType> ACTIVATION_FORMAT = new EnumMap<>(DType.class);

    static {
        for (DType t : new DType[]{DType.Q4_0, DType.Q5_0, DType.Q8_0, DType.IQ4_NL, DType.MXFP4}) ACTIVATION_FORMAT.put(t, DType.Q8_0);
        for (DType t : new DType[]{DType.Q4_1, DType.Q5_1}) ACTIVATION_FORMAT.put(t, DType.Q8_1);
        for (DType t : new DType[]{DType.Q2_K, DType.Q3_K, DType.Q4_K, DType.Q5_K, DType.Q6_K, DType.IQ4_XS}) ACTIVATION_FORMAT.put(t, DType.Q8_K);
        ACTIVATION_FORMAT.put(DType.F16, DType.F16);
        ACTIVATION_FORMAT.put(DType.BF16, DType.BF16);
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Per-thread buffers: the row and activations as floats, and the quantized activations. */
    private static final class Scratch {
        float[] w = new float[0], xq = new float[0];
        MemorySegment q = MemorySegment.NULL;
        final Arena arena = Arena.ofAuto();

        void ensure(int n, long qBytes) {
            if (w.length < n) {
                w = new float[n];
                xq = new float[n];
            }
            if (q.byteSize() < qBytes) q = arena.allocate(qBytes, 64);
        }
    }

    @Override
    public String name() { return "ggml-compatible"; }

    /** The format ggml rounds activations to before a dot product with weights of type t (t itself for F32). */
    public static DType activationFormat(DType t) {
        return ACTIVATION_FORMAT.getOrDefault(t, DType.F32);
    }

    @Override
    public float dot(Tensor w, long row, float[] x, int xOff) {
        int n = w.cols();
        DType af = activationFormat(w.type());
        Scratch s = SCRATCH.get();
        s.ensure(n, af.bytesFor(n));
        Codecs.of(w.type()).dequantize(w.data(), row * w.rowBytes(), s.w, 0, n);
        float[] xs;
        if (af == DType.F32) {
            xs = x;
        } else {
            BlockCodec c = Codecs.of(af);
            c.quantize(x, xOff, s.q, 0, n);
            c.dequantize(s.q, 0, s.xq, 0, n);
            xs = s.xq;
            xOff = 0;
        }
        if (af == DType.Q8_1) return affineDot(w, row, n, s);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += (double) s.w[i] * xs[xOff + i];
        return (float) sum;
    }

    /**
     * Q4_1/Q5_1 rows (x = d·q + m) against Q8_1 activations: ggml takes the min term from the activation block's stored
     * sum s (fp16), not from the activations themselves, so the weight blocks are split into d·q and m here.
     * Both formats keep d and m as fp16 in their first four bytes; Q8_1 keeps d and s there.
     */
    private static float affineDot(Tensor w, long row, int n, Scratch s) {
        DType t = w.type();
        int blocks = n / t.blockSize;
        byte[] block = new byte[t.blockBytes];
        MemorySegment b = MemorySegment.ofArray(block);
        float[] dq = new float[t.blockSize];
        BlockCodec codec = Codecs.of(t);
        long base = row * w.rowBytes();
        double sum = 0;
        for (int i = 0; i < blocks; i++) {
            MemorySegment.copy(w.data(), base + (long) i * t.blockBytes, b, 0, t.blockBytes);
            float m = Float.float16ToFloat(b.get(dev.gem.tensor.LE.SHORT, 2));
            b.set(dev.gem.tensor.LE.SHORT, 2, (short) 0); // m = +0: the block now decodes to d·q exactly
            codec.dequantize(b, 0, dq, 0, t.blockSize);
            float sAct = Float.float16ToFloat(s.q.get(dev.gem.tensor.LE.SHORT, (long) i * DType.Q8_1.blockBytes + 2));
            for (int j = 0; j < t.blockSize; j++) sum += (double) dq[j] * s.xq[i * t.blockSize + j];
            sum += (double) m * sAct;
        }
        return (float) sum;
    }
}
