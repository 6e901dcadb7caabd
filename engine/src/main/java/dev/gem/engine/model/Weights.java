package dev.gem.engine.model;

import dev.gem.format.ModelFile;
import dev.gem.format.ModelFileException;
import dev.gem.kernels.Kernels;
import dev.gem.tensor.Tensor;

import java.util.Arrays;

/**
 * The tensors of a model, found by their GGUF names and checked against the config's shapes. Matrices stay views of
 * the mapped file; small vectors (norm weights, biases) are decoded to float arrays once. Optional tensors are null
 * when the file does not have them, and the transformer takes the matching path (biases, Q/K norms, fused projections,
 * experts), so families differ by their files rather than by code.
 */
public final class Weights {
    public final Tensor tokenEmbedding;   // [dim, vocab]
    public final Tensor positionEmbedding; // [dim, ctx] absolute positions (BERT), or null
    public final Tensor tokenTypes;       // [dim, types] segment embeddings (BERT), or null
    public final float[] embedNorm, embedNormBias; // LayerNorm after the embeddings (BERT), or null
    public final float[] outputNorm, outputNormBias; // null for encoders
    public final Tensor output;           // [dim, vocab]; the embedding itself when tied; null for encoders
    public final float[] ropeFreqFactors; // [ropeDims/2] (Llama 3.1 scaling), or null
    public final float[] ropeFactorsLong, ropeFactorsShort; // [ropeDims/2] (Phi-3 long-context RoPE), or null
    public final Layer[] layers;

    /** One transformer block. Fields for parts a family does not have are null. */
    public static final class Layer {
        public final float[] attnNorm, attnNormBias;
        public final Tensor wq, wk, wv, wqkv;
        public final float[] bq, bk, bv, bqkv;
        public final float[] qNorm, kNorm;        // per head (length headDim) or whole vector (length qDim/kvDim)
        public final Tensor wo;
        public final float[] bo;
        public final float[] attnPostNorm;
        public final float[] ffnNorm, ffnNormBias;
        public final Tensor wGate, wUp, wDown;    // dense FFN; wGate null when gate and up are fused in wUp or ungated
        public final float[] bUp, bDown;
        public final boolean gateUpFused;
        public final Tensor router;               // [dim, experts] (ffn_gate_inp), or null for dense layers
        public final Tensor gateExps, upExps, downExps;
        /** Each expert's matrices as tensors of their own, made once so the kernels can keep a repacked copy of each. */
        public final Tensor[] gateExp, upExp, downExp;
        public final float[] sharedGate;          // [dim] sigmoid gate of the shared expert, or null
        public final Tensor wGateShared, wUpShared, wDownShared;
        public final float[] ffnPostNorm;

        Layer(Loader l, int i, ModelConfig c) throws ModelFileException {
            String p = "blk." + i + ".";
            boolean enc = c.arch().encoder();
            int dim = c.dim();
            if (enc) {
                // BERT normalises after each residual add; the same two slots hold those norms
                attnNorm = l.vector(p + "attn_output_norm.weight", dim);
                attnNormBias = l.optVector(p + "attn_output_norm.bias", dim);
                ffnNorm = l.vector(p + "layer_output_norm.weight", dim);
                ffnNormBias = l.optVector(p + "layer_output_norm.bias", dim);
            } else {
                attnNorm = l.vector(p + "attn_norm.weight", dim);
                attnNormBias = l.optVector(p + "attn_norm.bias", dim);
                ffnNorm = l.file.tensor(p + "ffn_norm.weight") != null ? l.vector(p + "ffn_norm.weight", dim) : null;
                ffnNormBias = l.optVector(p + "ffn_norm.bias", dim);
            }
            if (l.file.tensor(p + "attn_qkv.weight") != null) {
                wqkv = l.matrix(p + "attn_qkv.weight", dim, c.qDim() + c.kvDim() + c.kvDimV());
                bqkv = l.optVector(p + "attn_qkv.bias", c.qDim() + c.kvDim() + c.kvDimV());
                wq = wk = wv = null;
                bq = bk = bv = null;
            } else {
                wqkv = null;
                bqkv = null;
                wq = l.matrix(p + "attn_q.weight", dim, c.qDim());
                wk = l.matrix(p + "attn_k.weight", dim, c.kvDim());
                wv = l.matrix(p + "attn_v.weight", dim, c.kvDimV());
                bq = l.optVector(p + "attn_q.bias", c.qDim());
                bk = l.optVector(p + "attn_k.bias", c.kvDim());
                bv = l.optVector(p + "attn_v.bias", c.kvDimV());
            }
            qNorm = l.optVectorOf(p + "attn_q_norm.weight", c.headDim(), c.qDim());
            kNorm = l.optVectorOf(p + "attn_k_norm.weight", c.headDim(), c.kvDim());
            wo = l.matrix(p + "attn_output.weight", c.attnOutDim(), dim);
            bo = l.optVector(p + "attn_output.bias", dim);
            attnPostNorm = l.optVector(p + "post_attention_norm.weight", dim);
            ffnPostNorm = l.optVector(p + "post_ffw_norm.weight", dim);

            if (l.file.tensor(p + "ffn_gate_inp.weight") != null) {
                if (!c.isMoe()) throw new ModelFileException(l.file.name(), "tensor " + p + "ffn_gate_inp.weight present but the metadata has no expert_count");
                router = l.matrix(p + "ffn_gate_inp.weight", dim, c.experts());
                int ef = c.expertFfnDim();
                gateExps = l.experts(p + "ffn_gate_exps.weight", dim, ef, c.experts());
                upExps = l.experts(p + "ffn_up_exps.weight", dim, ef, c.experts());
                downExps = l.experts(p + "ffn_down_exps.weight", ef, dim, c.experts());
                gateExp = Loader.slices(gateExps);
                upExp = Loader.slices(upExps);
                downExp = Loader.slices(downExps);
                wGate = wUp = wDown = null;
                bUp = bDown = null;
                gateUpFused = false;
                if (l.file.tensor(p + "ffn_up_shexp.weight") != null) {
                    int sf = c.sharedExpertFfnDim();
                    sharedGate = l.optVector(p + "ffn_gate_inp_shexp.weight", dim);
                    wGateShared = l.matrix(p + "ffn_gate_shexp.weight", dim, sf);
                    wUpShared = l.matrix(p + "ffn_up_shexp.weight", dim, sf);
                    wDownShared = l.matrix(p + "ffn_down_shexp.weight", sf, dim);
                } else {
                    sharedGate = null;
                    wGateShared = wUpShared = wDownShared = null;
                }
            } else {
                router = gateExps = upExps = downExps = null;
                gateExp = upExp = downExp = null;
                sharedGate = null;
                wGateShared = wUpShared = wDownShared = null;
                int ff = c.ffnDim();
                Tensor gate = l.file.tensor(p + "ffn_gate.weight");
                if (gate != null) {
                    wGate = l.matrix(p + "ffn_gate.weight", dim, ff);
                    wUp = l.matrix(p + "ffn_up.weight", dim, ff);
                    gateUpFused = false;
                } else if (!enc && l.file.require(p + "ffn_up.weight").dim(1) == 2L * ff) {
                    wGate = null;
                    wUp = l.matrix(p + "ffn_up.weight", dim, 2L * ff); // Phi-3: gate rows first, then up rows
                    gateUpFused = true;
                } else {
                    wGate = null;
                    wUp = l.matrix(p + "ffn_up.weight", dim, ff);       // ungated (BERT)
                    gateUpFused = false;
                }
                wDown = l.matrix(p + "ffn_down.weight", ff, dim);
                bUp = l.optVector(p + "ffn_up.bias", gateUpFused ? 2 * ff : ff);
                bDown = l.optVector(p + "ffn_down.bias", dim);
            }
        }
    }

    public Weights(ModelFile file, ModelConfig c, Kernels kernels) throws ModelFileException {
        Loader l = new Loader(file, kernels);
        tokenEmbedding = l.matrix("token_embd.weight", c.dim(), c.vocab());
        if (c.arch().encoder()) {
            positionEmbedding = file.tensor("position_embd.weight") != null ? l.matrixRows("position_embd.weight", c.dim()) : null;
            tokenTypes = file.tensor("token_types.weight") != null ? l.matrixRows("token_types.weight", c.dim()) : null;
            embedNorm = l.vector("token_embd_norm.weight", c.dim());
            embedNormBias = l.optVector("token_embd_norm.bias", c.dim());
            outputNorm = outputNormBias = null;
            output = null;
        } else {
            positionEmbedding = tokenTypes = null;
            embedNorm = embedNormBias = null;
            outputNorm = l.vector("output_norm.weight", c.dim());
            outputNormBias = l.optVector("output_norm.bias", c.dim());
            output = file.tensor("output.weight") != null ? l.matrix("output.weight", c.dim(), c.vocab()) : tokenEmbedding;
        }
        ropeFreqFactors = l.optVector("rope_freqs.weight", c.ropeDims() / 2);
        ropeFactorsLong = l.optVector("rope_factors_long.weight", c.ropeDims() / 2);
        ropeFactorsShort = l.optVector("rope_factors_short.weight", c.ropeDims() / 2);
        layers = new Layer[c.layers()];
        for (int i = 0; i < c.layers(); i++) layers[i] = new Layer(l, i, c);
    }

    /** Looks tensors up with shape and type checks that name the file and tensor on failure. */
    static final class Loader {
        final ModelFile file;
        final Kernels kernels;

        Loader(ModelFile file, Kernels kernels) {
            this.file = file;
            this.kernels = kernels;
        }

        Tensor matrix(String name, long cols, long rows) throws ModelFileException {
            Tensor t = file.require(name);
            long[] d = t.dims();
            if (d.length != 2 || d[0] != cols || d[1] != rows)
                throw new ModelFileException(file.name(), "tensor " + name + " has shape " + Arrays.toString(d)
                        + ", expected [" + cols + ", " + rows + "] from the model's metadata");
            return supported(t);
        }

        /** A matrix whose row count is free (position and token-type tables). */
        Tensor matrixRows(String name, long cols) throws ModelFileException {
            Tensor t = file.require(name);
            if (t.rank() != 2 || t.dim(0) != cols)
                throw new ModelFileException(file.name(), "tensor " + name + " has shape " + Arrays.toString(t.dims()) + ", expected rows of " + cols);
            return supported(t);
        }

        private static Tensor[] slices(Tensor stacked) {
            Tensor[] out = new Tensor[(int) stacked.dims()[2]];
            for (int e = 0; e < out.length; e++) out[e] = stacked.slice(e);
            return out;
        }

        Tensor experts(String name, long cols, long rows, long n) throws ModelFileException {
            Tensor t = file.require(name);
            long[] d = t.dims();
            if (d.length != 3 || d[0] != cols || d[1] != rows || d[2] != n)
                throw new ModelFileException(file.name(), "tensor " + name + " has shape " + Arrays.toString(d)
                        + ", expected [" + cols + ", " + rows + ", " + n + "] (one matrix per expert)");
            return supported(t);
        }

        private Tensor supported(Tensor t) throws ModelFileException {
            if (!kernels.supports(t.type()))
                throw new ModelFileException(file.name(), "tensor " + t.name() + " is stored as " + t.type()
                        + ", which GEM cannot compute with yet");
            return t;
        }

        float[] vector(String name, int n) throws ModelFileException {
            Tensor t = file.require(name);
            if (t.elementCount() != n)
                throw new ModelFileException(file.name(), "tensor " + name + " has " + t.elementCount() + " values, expected " + n);
            supported(t);
            float[] v = new float[n];
            kernels.row(new Tensor(name, t.type(), new long[]{n}, t.data()), 0, v, 0);
            return v;
        }

        float[] optVector(String name, int n) throws ModelFileException {
            return file.tensor(name) == null ? null : vector(name, n);
        }

        /** An optional vector that may have either of two lengths (per-head or whole-vector Q/K norms). */
        float[] optVectorOf(String name, int a, int b) throws ModelFileException {
            Tensor t = file.tensor(name);
            if (t == null) return null;
            long n = t.elementCount();
            if (n != a && n != b)
                throw new ModelFileException(file.name(), "tensor " + name + " has " + n + " values, expected " + a + " or " + b);
            return vector(name, (int) n);
        }
    }
}
