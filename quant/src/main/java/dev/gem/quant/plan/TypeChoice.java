package dev.gem.quant.plan;

import dev.gem.tensor.DType;

/**
 * The type a plan gives one tensor, and why when it is not simply the type asked for (a fallback, a sensitivity
 * measurement); {@code note} is null otherwise.
 */
public record TypeChoice(PlannedTensor tensor, DType type, String note) {

    public long bytes() {
        return type.bytesFor(tensor.elements());
    }

    /**
     * {@code wanted} if the tensor's rows are whole blocks of it; else the first of {@code fallbacks} whose blocks fit;
     * else the tensor's own float type (F16 if it is stored quantized). The note says which and why, as llama-quantize
     * reports its fallbacks.
     */
    public static TypeChoice fitting(PlannedTensor t, DType wanted, String why, DType... fallbacks) {
        long row = t.rowLength();
        if (wanted.fitsBlocks(row)) return new TypeChoice(t, wanted, why);
        for (DType f : fallbacks)
            if (f.fitsBlocks(row)) return new TypeChoice(t, f, rowsNote(row, wanted) + " -> " + name(f));
        DType keep = t.source().isQuantized() ? DType.F16 : t.source();
        return new TypeChoice(t, keep, rowsNote(row, wanted) + " -> kept " + name(keep));
    }

    /**
     * llama-quantize's fallback for a type whose blocks do not fit the rows (its {@code tensor_type_fallback}): the
     * 256-blocks fall back to a 32-block type of similar size.
     */
    public static DType[] llamaFallbacks(DType wanted) {
        return switch (wanted) {
            case IQ4_XS, IQ3_S, IQ3_XXS, IQ2_S, IQ2_XS, IQ2_XXS, IQ1_S, IQ1_M -> new DType[]{DType.IQ4_NL};
            case Q2_K, Q3_K, TQ1_0, TQ2_0 -> new DType[]{DType.Q4_0};
            case Q4_K -> new DType[]{DType.Q5_0};
            case Q5_K -> new DType[]{DType.Q5_1};
            case Q6_K -> new DType[]{DType.Q8_0};
            default -> new DType[0];
        };
    }

    private static String rowsNote(long row, DType wanted) {
        return "rows of " + row + " are not a multiple of " + wanted.blockSize + " (" + name(wanted) + ")";
    }

    static String name(DType t) {
        return t.name().toLowerCase(java.util.Locale.ROOT);
    }
}
