package dev.gem.engine.adapter;

import dev.gem.format.GgufWriter;
import dev.gem.format.ModelFile;
import dev.gem.format.ModelFileException;
import dev.gem.quant.BlockCodec;
import dev.gem.quant.Codecs;
import dev.gem.quant.plan.TensorRole;
import dev.gem.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/**
 * Merges a LoRA adapter into a model's weights for good: {@code W' = W + scale · B·A}, computed row by row in double
 * precision and stored in W's own type (a quantized W is re-quantized, which adds its rounding once more). Rows are
 * produced while the file is written, so merging a large model needs no more memory than one row.
 */
public final class LoraMerge {
    private LoraMerge() {}

    /**
     * A writer for {@code base} with the adapter's updates merged into the weights of layer {@code fromLayer} and
     * later (the output head counts as after every layer, the token embedding as layer 0); metadata and
     * tensors for which {@code keep} is false are left out.
     */
    public static GgufWriter writer(ModelFile base, LoraAdapter adapter, int fromLayer, Predicate<String> keep) throws ModelFileException {
        for (LoraAdapter.Pair p : adapter.pairs().values()) check(base, adapter, p);
        GgufWriter w = new GgufWriter();
        for (String k : base.metadata().keys()) if (keep.test(k)) copyKey(base, k, w);
        for (Tensor t : base.tensors().values()) {
            if (!keep.test(t.name())) continue;
            LoraAdapter.Pair p = adapter.pairs().get(t.name());
            if (p == null || layerOf(t.name()) < fromLayer) {
                w.addTensor(t.name(), t.type(), t.dims(), t.data());
                continue;
            }
            w.addTensor(t.name(), t.type(), t.dims(), out -> merge(t, p, out));
        }
        return w;
    }

    /** The layer a tensor counts as for {@code fromLayer}: blk.N -> N, the output head -> after all, the rest (embeddings) -> 0. */
    static int layerOf(String name) {
        if (name.equals("output.weight")) return Integer.MAX_VALUE;
        return Math.max(0, TensorRole.layerOf(name));
    }

    /** The names of the tensors the adapter updates that {@code fromLayer} leaves out (so callers can say so). */
    public static List<String> skipped(LoraAdapter adapter, int fromLayer) {
        return adapter.pairs().keySet().stream().filter(n -> layerOf(n) < fromLayer).toList();
    }

    private static void copyKey(ModelFile base, String k, GgufWriter w) {
        var md = base.metadata();
        if (k.equals("general.alignment")) return;
        if (md.elementType(k) != null) w.putArray(k, md.elementType(k), md.get(k));
        else w.put(k, md.type(k), md.get(k));
    }

    private static void check(ModelFile base, LoraAdapter adapter, LoraAdapter.Pair p) throws ModelFileException {
        Tensor w = base.tensor(p.target());
        if (w == null)
            throw new ModelFileException(adapter.source(), "updates " + p.target() + ", which " + base.name() + " does not have (is the adapter for another base model?)");
        boolean embedding = p.target().equals(LoraAdapter.TOKEN_EMBEDDING);
        boolean fits = w.rank() == 2 && (embedding ? p.b().dim(1) == w.dim(0) && p.a().dim(1) == w.dim(1)
                : p.a().dim(0) == w.dim(0) && p.b().dim(1) == w.dim(1));
        if (!fits)
            throw new ModelFileException(adapter.source(), "adapter for " + p.target() + " has lora_a " + Arrays.toString(p.a().dims())
                    + " and lora_b " + Arrays.toString(p.b().dims()) + ", which do not fit the model's " + Arrays.toString(w.dims()));
        for (Tensor t : new Tensor[]{w, p.a(), p.b()})
            if (!Codecs.supports(t.type()))
                throw new ModelFileException(t == w ? base.name() : adapter.source(), "tensor " + t.name() + " is stored as " + t.type() + ", which GEM cannot decode");
    }

    /**
     * Each row o of W' is {@code W[o] + scale · sum_r coef[o][r] · f[r]}: for a projection, coef = B (a row per output)
     * and f = A's rows (over the inputs); for the token embedding, whose rows are tokens, coef = A (a row per token)
     * and f[r] = column r of B (over the features).
     */
    private static void merge(Tensor w, LoraAdapter.Pair p, MemorySegment out) {
        boolean embedding = p.target().equals(LoraAdapter.TOKEN_EMBEDDING);
        int cols = w.cols(), rank = p.rank();
        long rows = w.rowCount();
        BlockCodec codec = Codecs.of(w.type());
        // the factor indexed by W's columns, decoded once: [rank][cols]
        float[][] byColumn = new float[rank][];
        float[] row = new float[cols];
        float[] coef = new float[rank];
        if (embedding) {
            float[][] b = rowsOf(p.b()); // dim rows of rank
            for (int r = 0; r < rank; r++) {
                byColumn[r] = new float[cols];
                for (int i = 0; i < cols; i++) byColumn[r][i] = b[i][r];
            }
        } else {
            byColumn = rowsOf(p.a()); // rank rows of in
        }
        BlockCodec coefCodec = Codecs.of(embedding ? p.a().type() : p.b().type());
        Tensor coefs = embedding ? p.a() : p.b(); // a row of rank coefficients per row of W
        double[] acc = new double[cols];
        for (long o = 0; o < rows; o++) {
            codec.dequantize(w.data(), o * w.rowBytes(), row, 0, cols);
            coefCodec.dequantize(coefs.data(), o * coefs.rowBytes(), coef, 0, rank);
            Arrays.fill(acc, 0);
            for (int r = 0; r < rank; r++) {
                double c = coef[r];
                float[] f = byColumn[r];
                for (int i = 0; i < cols; i++) acc[i] += c * f[i];
            }
            for (int i = 0; i < cols; i++) row[i] = (float) (row[i] + p.scale() * acc[i]);
            codec.quantize(row, 0, out, o * w.rowBytes(), cols);
        }
    }

    private static float[][] rowsOf(Tensor t) {
        BlockCodec c = Codecs.of(t.type());
        float[][] rows = new float[t.rows()][t.cols()];
        for (int r = 0; r < rows.length; r++) c.dequantize(t.data(), r * t.rowBytes(), rows[r], 0, t.cols());
        return rows;
    }
}
