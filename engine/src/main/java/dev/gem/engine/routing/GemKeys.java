package dev.gem.engine.routing;

import java.util.List;

/**
 * The {@code gem.*} metadata keys and tensor names of a GEM model file (specified in docs/gem-format.md). One place,
 * so writers and readers cannot disagree on a spelling.
 */
public final class GemKeys {
    private GemKeys() {}

    public static final String PREFIX = "gem.";
    /** Version of the gem.* layout the file follows (u32). Readers warn about newer versions and read what they know. */
    public static final String VERSION = "gem.version";
    public static final int CURRENT_VERSION = 1;

    /** Domain names, index = domain id ([string]). */
    public static final String DOMAIN_NAMES = "gem.domain.names";

    /** The router reads the residual stream after this many layers (u32); adapters apply from this layer on. */
    public static final String ROUTER_LAYER = "gem.router.layer";
    /** tau_domain: a token is routed when its top domain probability exceeds it (f32, default 0.65). */
    public static final String ROUTER_THRESHOLD = "gem.router.threshold";
    /** Fitted centroids, row-major, grouped by domain ([f32], sum(counts) × embedding_length). */
    public static final String ROUTER_CENTROIDS = "gem.router.centroids";
    /** Centroids per domain ([u32], one per domain). */
    public static final String ROUTER_CENTROID_COUNTS = "gem.router.centroid_counts";
    /** Trained linear router weights, one row per domain ([f32], domains × embedding_length). */
    public static final String ROUTER_WEIGHTS = "gem.router.weights";
    /** Its biases ([f32], one per domain; optional). */
    public static final String ROUTER_BIAS = "gem.router.bias";

    /** The Dynamic Token Router's calibrated cheap path, "exit:L" or "skip:a,b,c". */
    public static final String DRAFT_PATH = "gem.router.draft.path";
    /** Tokens to draft per speculation round with that path. */
    public static final String DRAFT_TOKENS = "gem.router.draft.tokens";
    /** The path's measured agreement with the full model (0-1) on the calibration text. */
    public static final String DRAFT_AGREEMENT = "gem.router.draft.agreement";

    /** LoRA alpha of each domain's adapter ([f32], one per domain; 0: scale is the adapter scale alone). */
    public static final String ADAPTER_ALPHA = "gem.adapter.alpha";
    /** User scale of each domain's adapter ([f32], one per domain; default 1). */
    public static final String ADAPTER_SCALE = "gem.adapter.scale";
    /** Tensor name prefix of domain d's adapter: {@code gem.lora.<d>.<base tensor>.lora_a} / {@code .lora_b}. */
    public static String adapterPrefix(int domain) { return "gem.lora." + domain + "."; }
    public static final String ADAPTER_TENSOR_PREFIX = "gem.lora.";

    /** SCAR defaults for mixture-of-experts models (see ScarSettings). */
    public static final String SCAR_TAU = "gem.scar.tau";
    public static final String SCAR_K_MIN = "gem.scar.k_min";
    public static final String SCAR_K_MAX = "gem.scar.k_max";
    public static final String SCAR_TEMPERATURE = "gem.scar.temperature";

    /** The precision plan gem quantize applied (string). */
    public static final String QUANT_PLAN = "gem.quant.plan";

    /** Every key this version of GEM reads; other gem.* keys are reported and ignored. */
    public static final List<String> KNOWN = List.of(VERSION, DOMAIN_NAMES, ROUTER_LAYER, ROUTER_THRESHOLD, ROUTER_CENTROIDS,
            ROUTER_CENTROID_COUNTS, ROUTER_WEIGHTS, ROUTER_BIAS, DRAFT_PATH, DRAFT_TOKENS, DRAFT_AGREEMENT, ADAPTER_ALPHA,
            ADAPTER_SCALE, SCAR_TAU, SCAR_K_MIN, SCAR_K_MAX, SCAR_TEMPERATURE, QUANT_PLAN);
}
