package dev.gem.format;

import dev.gem.tensor.DType;
import dev.gem.tensor.Float16;
import dev.gem.tensor.LE;
import dev.gem.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The tensor rewrites convert_hf_to_gguf.py applies, each producing a new tensor in memory owned by {@code arena}
 * (everything else stays a view of the mapped checkpoint).
 */
public final class HuggingFaceTransforms {
    private HuggingFaceTransforms() {}

    /**
     * The converter's {@code permute(w, n_head, n_head_kv)}: {@code w.reshape(heads, 2, rows/heads/2, ...).swapaxes(1, 2)}.
     * Within each head, Hugging Face's rotate-half layout pairs row i with row i + d/2; GGUF's interleaved RoPE pairs
     * row 2i with 2i + 1. So output row {@code h·d + 2i + half} is input row {@code h·d + half·d/2 + i}. Works on whole
     * rows (or single values of a bias), so the dtype is kept and no value changes.
     */
    static Tensor permuteHeads(Tensor t, int heads, String name, Arena arena, String file) throws ModelFileException {
        boolean vector = t.rank() == 1;
        long count = vector ? t.dim(0) : t.rowCount();
        if (t.type().isQuantized()) throw new ModelFileException(file, "tensor " + t.name() + " is " + t.type() + "; expected a float type");
        long unit = vector ? t.type().blockBytes : t.rowBytes();
        if (heads <= 0 || count % (2L * heads) != 0)
            throw new ModelFileException(file, "tensor " + t.name() + " has " + count + " rows, not a multiple of 2 x " + heads
                    + " heads: the config's head counts do not match the weights");
        long headRows = count / heads, half = headRows / 2;
        MemorySegment out = arena.allocate(t.byteSize(), 64);
        for (long h = 0; h < heads; h++)
            for (long i = 0; i < half; i++)
                for (int k = 0; k < 2; k++) {
                    long dst = h * headRows + 2 * i + k, src = h * headRows + k * half + i;
                    MemorySegment.copy(t.data(), src * unit, out, dst * unit, unit);
                }
        return new Tensor(name, t.type(), t.dims(), out);
    }

    /**
     * Gemma's {@code data_torch + 1} on norm weights, stored as F32 (the converter writes norms as F32). An F16 weight
     * is incremented in F16 as torch does (the converter keeps F16 tensors in F16 until written); BF16 is widened to
     * F32 first, as the converter widens it.
     */
    static Tensor plusOne(Tensor t, String name, Arena arena, String file) throws ModelFileException {
        long n = t.elementCount();
        MemorySegment out = arena.allocate(4 * n, 64);
        for (long i = 0; i < n; i++) {
            float v = switch (t.type()) {
                case F32 -> t.data().get(LE.FLOAT, 4 * i) + 1f;
                case BF16 -> Float16.bf16ToFloat(t.data().get(LE.SHORT, 2 * i)) + 1f;
                case F16 -> Float16.halfToFloat(Float16.floatToHalf(Float16.halfToFloat(t.data().get(LE.SHORT, 2 * i)) + 1f));
                default -> throw new ModelFileException(file, "norm tensor " + t.name() + " is " + t.type() + "; expected F32, F16 or BF16");
            };
            out.set(LE.FLOAT, 4 * i, v);
        }
        return new Tensor(name, DType.F32, t.dims(), out);
    }

    /**
     * Llama 3.1's RoPE frequency factors as LlamaModel.generate_extra_tensors computes them, in float32 arithmetic as
     * torch does: pairs whose wavelength is below {@code original/high} keep their frequency, those above
     * {@code original/low} are slowed by {@code factor}, the band between is interpolated.
     */
    public static float[] llama3Factors(int headDim, float theta, float factor, float low, float high, float original) {
        float[] f = new float[headDim / 2];
        float lowWavelen = original / low, highWavelen = original / high;
        for (int i = 0; i < f.length; i++) {
            float exponent = (float) (2 * i) / headDim;
            float freq = 1f / (float) Math.pow(theta, exponent);
            float wavelen = (float) (2 * Math.PI) / freq;
            if (wavelen < highWavelen) f[i] = 1f;
            else if (wavelen > lowWavelen) f[i] = factor;
            else {
                float smooth = (original / wavelen - low) / (high - low);
                f[i] = 1f / ((1f - smooth) / factor + smooth);
            }
        }
        return f;
    }

    static Tensor f32Vector(String name, float[] v, Arena arena) {
        MemorySegment out = arena.allocate(4L * v.length, 64);
        for (int i = 0; i < v.length; i++) out.set(LE.FLOAT, 4L * i, v[i]);
        return new Tensor(name, DType.F32, new long[]{v.length}, out);
    }
}
