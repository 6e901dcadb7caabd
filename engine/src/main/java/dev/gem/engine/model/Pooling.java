package dev.gem.engine.model;

/** How an encoder turns per-token states into one embedding (GGUF {@code pooling_type}). */
public enum Pooling {
    NONE, MEAN, CLS, LAST;

    public static Pooling ofGgufId(int id) {
        return switch (id) {
            case 0 -> NONE;
            case 1 -> MEAN;
            case 2 -> CLS;
            case 3 -> LAST;
            default -> throw new IllegalArgumentException("unsupported pooling type " + id + " (GEM knows 0 none, 1 mean, 2 cls, 3 last)");
        };
    }
}
