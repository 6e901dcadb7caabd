package dev.gem.engine.quantize;

import dev.gem.engine.Model;
import dev.gem.engine.ModelOptions;
import dev.gem.engine.Session;
import dev.gem.format.ModelFile;
import dev.gem.quant.plan.PlannedTensor;
import dev.gem.quant.plan.PrecisionPlan.Sensitivity;
import dev.gem.quant.plan.TensorRole;
import dev.gem.tensor.DType;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Measures how much quantizing each group of tensors to int4 changes a model's predictions: the mean KL divergence
 * KL(P_original || P_rounded) of the next-token distributions over a calibration text, with only that group rounded
 * and everything else as in the file. One forward pass over the calibration tokens per group.
 */
public final class SensitivityProbe {
    private SensitivityProbe() {}

    /** A set of tensors measured together. */
    public record Group(String name, List<String> tensors) {}

    /**
     * Every quantizable tensor alone ({@code perTensor}), or, to keep it cheap, one group per layer and class: the
     * attention projections of layer N ({@code blk.N.attn}), its feed-forward network or experts ({@code blk.N.ffn}),
     * and the token embedding and output head each on their own.
     */
    public static List<Group> groups(List<PlannedTensor> tensors, boolean perTensor) {
        Map<String, List<String>> g = new LinkedHashMap<>();
        for (PlannedTensor t : tensors) {
            if (!t.quantizable()) continue;
            String key;
            if (perTensor) key = t.name();
            else {
                int layer = TensorRole.layerOf(t.name());
                key = switch (t.role()) {
                    case ATTENTION -> "blk." + layer + ".attn";
                    case FEED_FORWARD, EXPERTS -> "blk." + layer + ".ffn";
                    default -> layer >= 0 ? "blk." + layer + ".other" : t.name().replace(".weight", "");
                };
            }
            g.computeIfAbsent(key, k -> new ArrayList<>()).add(t.name());
        }
        List<Group> out = new ArrayList<>();
        g.forEach((k, v) -> out.add(new Group(k, List.copyOf(v))));
        return out;
    }

    /**
     * @param int4Of  the int4 type each tensor would get (its plan's choice, fallbacks included); a tensor whose rows
     *                do not fit that type's blocks is left as it is
     * @param tokens  calibration tokens (BOS first if the model wants it), at most the options' context size
     * @param progress hears each group's name once it is measured (may be null)
     */
    public static List<Sensitivity> measure(ModelFile file, ModelOptions options, int[] tokens, List<Group> groups,
                                            Function<String, DType> int4Of, Consumer<String> progress) throws IOException {
        if (tokens.length < 2) throw new IllegalArgumentException("the calibration text must give at least 2 tokens, not " + tokens.length);
        float[][] reference;
        try (Model m = Model.open(dev.gem.engine.ModelFiles.borrow(file), options)) {
            reference = logSoftmaxRows(m, tokens);
        }
        List<Sensitivity> out = new ArrayList<>();
        for (Group g : groups) {
            Map<String, DType> types = new LinkedHashMap<>();
            for (String t : g.tensors()) {
                DType type = int4Of.apply(t);
                if (type.fitsBlocks(file.require(t).dim(0))) types.put(t, type); // else it would stay as it is
            }
            double kl;
            try (Model m = Model.open(new TensorOverlay(file, types), options)) {
                kl = meanKl(reference, logSoftmaxRows(m, tokens));
            }
            out.add(new Sensitivity(g.name(), g.tensors(), kl));
            if (progress != null) progress.accept(g.name());
        }
        return out;
    }

    /** Log-probabilities of the next token after each calibration token but the last. */
    static float[][] logSoftmaxRows(Model m, int[] tokens) {
        int n = tokens.length - 1;
        float[][] rows = new float[n][];
        try (Session s = m.newSession()) {
            int batch = Math.min(m.options().batchSize(), s.contextSize());
            for (int p = 0; p < n; p += batch) {
                int k = Math.min(batch, n - p);
                float[][] logits = s.feedAll(java.util.Arrays.copyOfRange(tokens, p, p + k));
                for (int i = 0; i < k; i++) rows[p + i] = logSoftmax(logits[i]);
            }
        }
        return rows;
    }

    static float[] logSoftmax(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double sum = 0;
        for (float l : logits) sum += Math.exp(l - max);
        float logSum = (float) Math.log(sum);
        float[] out = new float[logits.length];
        for (int i = 0; i < logits.length; i++) out[i] = logits[i] - max - logSum;
        return out;
    }

    /** Mean over positions of sum_i p_i (log p_i - log q_i), from log-probabilities. */
    static double meanKl(float[][] logP, float[][] logQ) {
        double total = 0;
        for (int r = 0; r < logP.length; r++) {
            double kl = 0;
            float[] p = logP[r], q = logQ[r];
            for (int i = 0; i < p.length; i++) kl += Math.exp(p[i]) * ((double) p[i] - q[i]);
            total += Math.max(0, kl); // rounding can make an identical row a hair negative
        }
        return total / logP.length;
    }
}
