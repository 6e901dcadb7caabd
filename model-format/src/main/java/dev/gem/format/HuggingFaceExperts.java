package dev.gem.format;

import dev.gem.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Mixture-of-experts checkpoints store one matrix per expert ({@code model.layers.N.mlp.experts.X.gate_proj.weight});
 * GGUF stores one 3-D tensor per layer and projection ({@code blk.N.ffn_gate_exps.weight}, dims
 * {@code [cols, rows, experts]}), which is the converter's {@code torch.stack(datas, dim=0)}. Experts are collected as
 * the checkpoint is mapped, then stacked into memory owned by the model (a stacked tensor cannot be a view: the experts
 * are not adjacent in the safetensors file).
 *
 * @param prefix  the module path of the experts within a layer, up to the expert number
 * @param stacked per-expert projection name to GGUF tensor name, e.g. {@code w1 -> ffn_gate_exps}
 */
public record HuggingFaceExperts(String prefix, Map<String, String> stacked) {

    /** Mixtral's block_sparse_moe: w1 = gate, w2 = down, w3 = up. */
    static final HuggingFaceExperts MIXTRAL = new HuggingFaceExperts("block_sparse_moe.experts.",
            Map.of("w1", "ffn_gate_exps", "w2", "ffn_down_exps", "w3", "ffn_up_exps"));
    /** Qwen2-MoE, Qwen3-MoE, OLMoE. */
    static final HuggingFaceExperts MLP = new HuggingFaceExperts("mlp.experts.",
            Map.of("gate_proj", "ffn_gate_exps", "down_proj", "ffn_down_exps", "up_proj", "ffn_up_exps"));

    /** One expert's matrix: which stacked tensor it belongs to and its place in it. */
    record Part(String ggufName, int expert) {}

    /** The part a layer module (after {@code model.layers.N.}, without .weight) is, or null if it is no expert matrix. */
    Part part(String module, int layer) {
        if (!module.startsWith(prefix)) return null;
        String rest = module.substring(prefix.length());
        int dot = rest.indexOf('.');
        if (dot <= 0 || !rest.substring(0, dot).chars().allMatch(Character::isDigit)) return null;
        String gguf = stacked.get(rest.substring(dot + 1));
        return gguf == null ? null : new Part("blk." + layer + "." + gguf, Integer.parseInt(rest.substring(0, dot)));
    }

    /** Collects the experts of every stacked tensor, then builds the stacks. */
    static final class Collector {
        private final Map<String, Map<Integer, Tensor>> parts = new TreeMap<>();
        private final Map<String, String> origins = new LinkedHashMap<>();

        void add(Part part, Tensor t, String hfName) {
            parts.computeIfAbsent(part.ggufName(), k -> new TreeMap<>()).put(part.expert(), t);
            origins.put(part.ggufName() + "#" + part.expert(), hfName);
        }

        boolean isEmpty() { return parts.isEmpty(); }

        /**
         * The stacked tensors (named with ".weight"), each experts 0..count-1 in order.
         *
         * @throws ModelFileException when an expert is missing or the experts differ in type or shape
         */
        Map<String, Tensor> stack(int count, Arena arena, String file) throws ModelFileException {
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (var e : parts.entrySet()) {
                String name = e.getKey() + ".weight";
                Map<Integer, Tensor> experts = e.getValue();
                Tensor first = experts.values().iterator().next();
                for (int x = 0; x < count; x++) {
                    Tensor t = experts.get(x);
                    if (t == null)
                        throw new ModelFileException(file, "tensor " + name + ": expert " + x + " of " + count + " is missing from the checkpoint");
                    if (t.type() != first.type() || !Arrays.equals(t.dims(), first.dims()) || t.rank() != 2)
                        throw new ModelFileException(file, "tensor " + name + ": expert " + x + " (" + origins.get(e.getKey() + "#" + x) + ") is "
                                + t.type() + " " + Arrays.toString(t.dims()) + " but expert 0 is " + first.type() + " " + Arrays.toString(first.dims()));
                }
                if (experts.size() > count)
                    throw new ModelFileException(file, "tensor " + name + ": the checkpoint has " + experts.size() + " experts, config.json says " + count);
                long bytes = first.byteSize();
                MemorySegment data = arena.allocate(bytes * count, 64);
                for (int x = 0; x < count; x++) MemorySegment.copy(experts.get(x).data(), 0, data, x * bytes, bytes);
                out.put(name, new Tensor(name, first.type(), new long[]{first.dim(0), first.dim(1), count}, data));
            }
            return out;
        }
    }
}
