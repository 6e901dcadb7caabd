package dev.gem.engine.adapter;

import dev.gem.engine.model.Weights;
import dev.gem.format.ModelFileException;
import dev.gem.kernels.Kernels;
import dev.gem.tensor.Tensor;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The weight matrices of a loaded model that an adapter may update: every dense matrix the forward pass multiplies
 * by (attention and feed-forward projections, routers, shared experts, an untied output head). Stacked expert
 * tensors and the token embedding are not among them. Checks an adapter against them with errors naming the tensor.
 */
public final class AdapterTargets {
    private final Map<String, Tensor> matrices = new HashMap<>();
    private final Map<String, Integer> layerOf = new HashMap<>();
    private final int layers;

    public AdapterTargets(Weights w) {
        layers = w.layers.length;
        for (int l = 0; l < w.layers.length; l++) {
            Weights.Layer L = w.layers[l];
            for (Tensor t : new Tensor[]{L.wq, L.wk, L.wv, L.wqkv, L.wo, L.wGate, L.wUp, L.wDown, L.router,
                    L.wGateShared, L.wUpShared, L.wDownShared})
                add(t, l);
        }
        if (w.output != null && w.output != w.tokenEmbedding) add(w.output, layers);
    }

    private void add(Tensor t, int layer) {
        if (t == null) return;
        matrices.put(t.name(), t);
        layerOf.put(t.name(), layer);
    }

    /** The layer a target belongs to; the output head counts as layer {@code layers}. */
    public int layerOf(String target) {
        Integer l = layerOf.get(target);
        if (l == null) throw new IllegalArgumentException("not an adapter target: " + target);
        return l;
    }

    /** Checks that every pair of the adapter updates a target of matching shape with tensor types GEM computes with. */
    public void check(LoraAdapter adapter, Kernels k) throws ModelFileException {
        for (LoraAdapter.Pair p : adapter.pairs().values()) {
            Tensor w = matrices.get(p.target());
            if (w == null) throw new ModelFileException(adapter.source(), "updates " + p.target() + ", " + whyNot(p.target()));
            if (p.a().dim(0) != w.dim(0) || p.b().dim(1) != w.dim(1))
                throw new ModelFileException(adapter.source(), "adapter for " + p.target() + " has lora_a " + Arrays.toString(p.a().dims())
                        + " and lora_b " + Arrays.toString(p.b().dims()) + ", which do not fit the model's " + Arrays.toString(w.dims())
                        + " (is it an adapter for another base model?)");
            for (Tensor t : new Tensor[]{p.a(), p.b()})
                if (!k.supports(t.type()))
                    throw new ModelFileException(adapter.source(), "tensor " + t.name() + " is stored as " + t.type() + ", which GEM cannot compute with");
        }
    }

    private String whyNot(String target) {
        if (target.equals("token_embd.weight")) return "the token embedding, which GEM does not adapt yet (apply it with gem merge instead)";
        if (target.contains("_exps.")) return "a stacked expert tensor, which GEM does not adapt yet";
        return "which this model does not multiply by (is the adapter for another base model?)";
    }
}
