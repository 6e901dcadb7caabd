package dev.gem.engine.synth;

import dev.gem.format.GgufWriter;
import dev.gem.format.ModelFile;
import dev.gem.quant.Codecs;
import dev.gem.tensor.DType;
import dev.gem.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Writes a random LoRA adapter for a base model, in llama.cpp's GGUF adapter format, so adapters can be tested
 * without training one. A is Gaussian with variance 1/in (as the base matrices are); B is scaled so that the update
 * {@code scale · B·A·x} is about {@link #STRENGTH} of {@code W·x}: large enough to change every output, small
 * enough to keep activations in range. (A trained LoRA starts with B = 0; a zero update would test nothing.)
 */
public final class SyntheticAdapter {
    private SyntheticAdapter() {}

    /** Relative size of the update. */
    static final double STRENGTH = 0.3;

    /** The matrices a default adapter updates in every layer (PEFT's usual attention and MLP targets). */
    public static final List<String> DEFAULT_TARGETS = List.of("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down");

    /**
     * @param targets tensor kinds ("attn_q", "ffn_down", ..., "output" for the output head, "token_embd") to update
     *                wherever the base model has them
     */
    public static void write(ModelFile base, int rank, float alpha, List<String> targets, DType type, long seed, Path out,
                             Consumer<String> progress) throws IOException {
        if (rank < 1) throw new IllegalArgumentException("rank must be at least 1, got " + rank);
        if (!Codecs.supports(type)) throw new IllegalArgumentException("GEM cannot write tensors of type " + type);
        var md = base.metadata();
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", md.getString("general.architecture"));
        w.putString("general.type", "adapter");
        w.putString("general.name", "synthetic rank-" + rank + " LoRA");
        w.putString("adapter.type", "lora");
        w.putF32("adapter.lora.alpha", alpha);
        double scale = alpha != 0 ? alpha / rank : 1;
        SplittableRandom rng = new SplittableRandom(seed);
        int count = 0;
        for (Tensor t : base.tensors().values()) {
            if (!targeted(t.name(), targets) || t.rank() != 2) continue;
            long in = t.dim(0), outDim = t.dim(1);
            if (rank > in || rank > outDim) throw new IllegalArgumentException("rank " + rank + " exceeds the shape of " + t.name());
            long seedA = rng.nextLong(), seedB = rng.nextLong();
            double sdB = STRENGTH / Math.sqrt(rank) / scale;
            if (t.name().equals("token_embd.weight")) {
                // llama.cpp's embedding pair: A holds a row of rank values per token, B a row per feature
                double sdA = 0.5 * STRENGTH / Math.sqrt(rank) / scale; // embeddings are N(0, 0.5)
                w.addTensor(t.name() + ".lora_a", type, new long[]{rank, outDim}, seg -> gaussian(seg, type, rank, outDim, sdA, seedA));
                w.addTensor(t.name() + ".lora_b", type, new long[]{rank, in}, seg -> gaussian(seg, type, rank, in, 1, seedB));
            } else {
                w.addTensor(t.name() + ".lora_a", type, new long[]{in, rank}, seg -> gaussian(seg, type, in, rank, 1 / Math.sqrt(in), seedA));
                w.addTensor(t.name() + ".lora_b", type, new long[]{rank, outDim}, seg -> gaussian(seg, type, rank, outDim, sdB, seedB));
            }
            count++;
        }
        if (count == 0) throw new IllegalArgumentException("the base model has none of the target matrices " + targets);
        w.write(out, progress);
    }

    static boolean targeted(String name, List<String> kinds) {
        for (String k : kinds) {
            if (k.equals("output") || k.equals("token_embd") ? name.equals(k + ".weight") : name.startsWith("blk.") && name.endsWith("." + k + ".weight"))
                return true;
        }
        return false;
    }

    private static void gaussian(MemorySegment out, DType type, long cols, long rows, double sd, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] row = new float[(int) cols];
        long rowBytes = type.bytesFor(cols);
        for (long i = 0; i < rows; i++) {
            for (int c = 0; c < cols; c++) row[c] = (float) (r.nextGaussian() * sd);
            Codecs.of(type).quantize(row, 0, out, i * rowBytes, (int) cols);
        }
    }
}
