package dev.gem.engine.routing;

/**
 * The {@code gem.*} metadata keys of a GEM model file (see docs/gem-format.md). One place, so writers and readers
 * cannot disagree on a spelling.
 */
public final class GemKeys {
    private GemKeys() {}

    public static final String PREFIX = "gem.";
    /** The Dynamic Token Router's calibrated cheap path, "exit:L" or "skip:a,b,c". */
    public static final String DRAFT_PATH = "gem.router.draft.path";
    /** Tokens to draft per speculation round with that path. */
    public static final String DRAFT_TOKENS = "gem.router.draft.tokens";
    /** The path's measured agreement with the full model (0-1) on the calibration text. */
    public static final String DRAFT_AGREEMENT = "gem.router.draft.agreement";
}
