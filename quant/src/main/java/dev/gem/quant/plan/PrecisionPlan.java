package dev.gem.quant.plan;

import dev.gem.tensor.DType;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A per-tensor precision plan: which storage type each tensor of a model gets. Built from tensor names and shapes only
 * (no model needed), so it can be shown, sized and stored before a byte is written.
 *
 * <ul>
 *   <li>{@link #uniform}: one type for every matrix, as llama-quantize {@code --pure} does, with its fallbacks.</li>
 *   <li>{@link #hybrid}: GEM's hybrid int4/int8 plan: norms, biases and routers F32; token embeddings, the output
 *       head and attention int8; feed-forward networks and experts int4.</li>
 *   <li>{@link #bySensitivity}: int4 everywhere except the groups whose int4 quantization moves the output most (by
 *       measured KL divergence), which stay int8 as far as a bits-per-weight budget allows.</li>
 *   <li>{@link #forConversion}: the types convert_hf_to_gguf.py gives a checkpoint for an output type.</li>
 * </ul>
 */
public final class PrecisionPlan {
    private final String description;
    private final List<TypeChoice> choices;

    private PrecisionPlan(String description, List<TypeChoice> choices) {
        this.description = description;
        this.choices = Collections.unmodifiableList(new ArrayList<>(choices));
    }

    /** The measured effect of quantizing one group of tensors (a tensor, or one layer's tensors of one class) to int4. */
    public record Sensitivity(String group, List<String> tensors, double kl) {}

    /**
     * Matrices to {@code type} (with llama-quantize's fallbacks); everything else keeps its type, except that 16-bit
     * norms and biases (straight from a Hugging Face checkpoint) become F32, as the converter writes them.
     */
    public static PrecisionPlan uniform(List<PlannedTensor> tensors, DType type) {
        List<TypeChoice> out = new ArrayList<>();
        for (PlannedTensor t : tensors) {
            if (t.quantizable()) out.add(TypeChoice.fitting(t, type, null, TypeChoice.llamaFallbacks(type)));
            else out.add(new TypeChoice(t, t.source() == DType.F16 || t.source() == DType.BF16 ? DType.F32 : t.source(), null));
        }
        return new PrecisionPlan("uniform " + TypeChoice.name(type), out);
    }

    /**
     * The hybrid int4/int8 plan. {@code int4} rows that do not fit its blocks fall back to Q4_0 (still four bits)
     * when that fits; int8 rows that do not fit stay in their float type.
     */
    public static PrecisionPlan hybrid(List<PlannedTensor> tensors, DType int4, DType int8) {
        List<TypeChoice> out = new ArrayList<>();
        for (PlannedTensor t : tensors) out.add(hybridChoice(t, int4, int8));
        return new PrecisionPlan("hybrid: norms/biases/routers f32, token_embd/output/attention " + TypeChoice.name(int8)
                + ", ffn/experts " + TypeChoice.name(int4), out);
    }

    private static TypeChoice hybridChoice(PlannedTensor t, DType int4, DType int8) {
        if (!t.quantizable()) return new TypeChoice(t, DType.F32, null);
        return switch (t.role()) {
            case FEED_FORWARD, EXPERTS -> int4(t, int4, null);
            default -> TypeChoice.fitting(t, int8, null);
        };
    }

    private static TypeChoice int4(PlannedTensor t, DType int4, String why) {
        return int4 == DType.Q4_0 ? TypeChoice.fitting(t, int4, why) : TypeChoice.fitting(t, int4, why, DType.Q4_0);
    }

    /**
     * Int4 for every matrix, then, most sensitive group first, int8 for each group whose upgrade still keeps the whole
     * model within {@code targetBpw} bits per weight (a group that does not fit is skipped and smaller ones are still
     * tried). Norms, biases and routers are F32, as in the hybrid plan.
     */
    public static PrecisionPlan bySensitivity(List<PlannedTensor> tensors, List<Sensitivity> groups, DType int4, DType int8,
                                              double targetBpw) {
        Map<String, TypeChoice> choice = new LinkedHashMap<>();
        long elements = 0;
        for (PlannedTensor t : tensors) {
            choice.put(t.name(), t.quantizable() ? int4(t, int4, null) : new TypeChoice(t, DType.F32, null));
            elements += t.elements();
        }
        long budgetBits = (long) Math.floor(targetBpw * elements);
        long bits = 8 * total(choice.values());
        List<Sensitivity> ranked = new ArrayList<>(groups);
        ranked.sort(Comparator.comparingDouble(Sensitivity::kl).reversed());
        Map<String, String> notes = new HashMap<>();
        int rank = 0, upgraded = 0;
        for (Sensitivity g : ranked) {
            rank++;
            List<TypeChoice> wider = new ArrayList<>();
            long extra = 0;
            for (String name : g.tensors()) {
                TypeChoice now = choice.get(name);
                if (now == null) throw new IllegalArgumentException("sensitivity group " + g.group() + " names unknown tensor " + name);
                if (!now.tensor().quantizable()) continue;
                TypeChoice up = TypeChoice.fitting(now.tensor(), int8, null);
                extra += 8 * (up.bytes() - now.bytes());
                wider.add(up);
            }
            boolean fits = bits + extra <= budgetBits;
            String note = String.format("%s KL %.3g (rank %d of %d) -> %s", g.group(), g.kl(), rank, ranked.size(),
                    fits ? "int8" : "int4, int8 would exceed " + targetBpw + " bpw");
            if (fits) {
                bits += extra;
                upgraded++;
                for (TypeChoice up : wider) choice.put(up.tensor().name(), up);
            }
            for (String name : g.tensors()) notes.put(name, note);
        }
        List<TypeChoice> out = new ArrayList<>();
        for (TypeChoice c : choice.values()) {
            String note = notes.get(c.tensor().name());
            out.add(note == null ? c : new TypeChoice(c.tensor(), c.type(), c.note() == null ? note : note + "; " + c.note()));
        }
        String desc = String.format("sensitivity: target %.2f bpw, int4 %s, int8 %s, %d of %d groups int8 by KL divergence",
                targetBpw, TypeChoice.name(int4), TypeChoice.name(int8), upgraded, ranked.size());
        return new PrecisionPlan(desc, out);
    }

    /**
     * The types convert_hf_to_gguf.py writes for {@code outType}: 1-D tensors, norms, routers, position tables and
     * anything not named .weight in F32; other matrices in {@code outType}, or F16 when their rows do not fit its
     * blocks (the converter's QuantError fallback).
     */
    public static PrecisionPlan forConversion(List<PlannedTensor> tensors, DType outType) {
        List<TypeChoice> out = new ArrayList<>();
        for (PlannedTensor t : tensors) {
            TensorRole r = t.role();
            boolean keepF32 = t.rank() <= 1 || r == TensorRole.NORM || r == TensorRole.ROUTER || r == TensorRole.POSITION
                    || !t.name().endsWith(".weight");
            if (keepF32) out.add(new TypeChoice(t, DType.F32, null));
            else if (outType.fitsBlocks(t.rowLength())) out.add(new TypeChoice(t, outType, null));
            else out.add(new TypeChoice(t, DType.F16, "rows of " + t.rowLength() + " are not a multiple of "
                    + outType.blockSize + " (" + TypeChoice.name(outType) + ") -> f16"));
        }
        return new PrecisionPlan("convert " + TypeChoice.name(outType), out);
    }

    private static long total(Iterable<TypeChoice> cs) {
        long b = 0;
        for (TypeChoice c : cs) b += c.bytes();
        return b;
    }

    public List<TypeChoice> choices() { return choices; }

    /** A one-line summary, stored in the written file as {@code gem.quant.plan}. */
    public String description() { return description; }

    /** Bytes of tensor data under this plan. */
    public long bytes() { return total(choices); }

    public long elements() {
        long n = 0;
        for (TypeChoice c : choices) n += c.tensor().elements();
        return n;
    }

    /** Average storage bits per weight over all tensors, as llama.cpp reports it. */
    public double bitsPerWeight() {
        long n = elements();
        return n == 0 ? 0 : 8.0 * bytes() / n;
    }

    /** The type most weights are stored in (for {@code general.file_type}). */
    public DType dominantType() {
        Map<DType, Long> byType = new HashMap<>();
        for (TypeChoice c : choices)
            if (c.tensor().quantizable()) byType.merge(c.type(), c.tensor().elements(), Long::sum);
        return byType.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(DType.F32);
    }

    /** The choices whose note says something (fallbacks, sensitivity decisions). */
    public List<TypeChoice> notes() {
        return choices.stream().filter(c -> c.note() != null).toList();
    }
}
