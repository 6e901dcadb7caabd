package dev.gem.engine.model;

import dev.gem.format.GgufFile;
import dev.gem.format.ModelFileException;
import dev.gem.kernels.Kernels;
import dev.gem.tensor.Tensor;

import java.util.Arrays;

/**
 * The tensors of a decoder, found by their GGUF names and checked against the config's shapes. Matrices stay views of
 * the mapped file; small vectors (norm weights) are decoded to float arrays once.
 */
public final class Weights {
    public final Tensor tokenEmbedding;   // [dim, vocab]
    public final float[] outputNorm;      // [dim]
    public final Tensor output;           // [dim, vocab]; the embedding itself when tied
    public final float[] ropeFreqFactors; // [ropeDims/2] or null (Llama 3.1 long-context scaling)
    public final Layer[] layers;

    /** One transformer block. */
    public static final class Layer {
        public final float[] attnNorm;
        public final Tensor wq, wk, wv, wo;
        public final float[] ffnNorm;
        public final Tensor wGate, wUp, wDown;

        Layer(Loader l, int i, ModelConfig c) throws ModelFileException {
            String p = "blk." + i + ".";
            attnNorm = l.vector(p + "attn_norm.weight", c.dim());
            wq = l.matrix(p + "attn_q.weight", c.dim(), c.qDim());
            wk = l.matrix(p + "attn_k.weight", c.dim(), c.kvDim());
            wv = l.matrix(p + "attn_v.weight", c.dim(), c.kvDim());
            wo = l.matrix(p + "attn_output.weight", c.qDim(), c.dim());
            ffnNorm = l.vector(p + "ffn_norm.weight", c.dim());
            wGate = l.matrix(p + "ffn_gate.weight", c.dim(), c.ffnDim());
            wUp = l.matrix(p + "ffn_up.weight", c.dim(), c.ffnDim());
            wDown = l.matrix(p + "ffn_down.weight", c.ffnDim(), c.dim());
        }
    }

    public Weights(GgufFile file, ModelConfig c, Kernels kernels) throws ModelFileException {
        Loader l = new Loader(file, kernels);
        tokenEmbedding = l.matrix("token_embd.weight", c.dim(), c.vocab());
        outputNorm = l.vector("output_norm.weight", c.dim());
        output = file.tensor("output.weight") != null ? l.matrix("output.weight", c.dim(), c.vocab()) : tokenEmbedding;
        ropeFreqFactors = file.tensor("rope_freqs.weight") != null ? l.vector("rope_freqs.weight", c.ropeDims() / 2) : null;
        layers = new Layer[c.layers()];
        for (int i = 0; i < c.layers(); i++) layers[i] = new Layer(l, i, c);
    }

    /** Total bytes of all weight tensors of the file (what one decode step streams, roughly). */
    public static long bytes(GgufFile file) {
        long b = 0;
        for (Tensor t : file.tensors().values()) b += t.byteSize();
        return b;
    }

    /** Looks tensors up with shape and type checks that name the file and tensor on failure. */
    static final class Loader {
        final GgufFile file;
        final Kernels kernels;

        Loader(GgufFile file, Kernels kernels) {
            this.file = file;
            this.kernels = kernels;
        }

        Tensor matrix(String name, long cols, long rows) throws ModelFileException {
            Tensor t = file.require(name);
            long[] d = t.dims();
            if (d.length != 2 || d[0] != cols || d[1] != rows)
                throw new ModelFileException(file.name(), "tensor " + name + " has shape " + Arrays.toString(d)
                        + ", expected [" + cols + ", " + rows + "] from the model's metadata");
            if (!kernels.supports(t.type()))
                throw new ModelFileException(file.name(), "tensor " + name + " is stored as " + t.type()
                        + ", which GEM cannot compute with yet");
            return t;
        }

        float[] vector(String name, int n) throws ModelFileException {
            Tensor t = file.require(name);
            if (t.elementCount() != n)
                throw new ModelFileException(file.name(), "tensor " + name + " has " + t.elementCount() + " values, expected " + n);
            if (!kernels.supports(t.type()))
                throw new ModelFileException(file.name(), "tensor " + name + " is stored as " + t.type() + ", which GEM cannot decode yet");
            float[] v = new float[n];
            Tensor row = new Tensor(name, t.type(), new long[]{n}, t.data());
            kernels.row(row, 0, v, 0);
            return v;
        }
    }
}
