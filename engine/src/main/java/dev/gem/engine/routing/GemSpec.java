package dev.gem.engine.routing;

import dev.gem.engine.model.ModelConfig;
import dev.gem.format.Metadata;
import dev.gem.format.ModelFile;
import dev.gem.format.ModelFileException;
import dev.gem.router.CentroidScorer;
import dev.gem.router.CheapPath;
import dev.gem.router.DomainGate;
import dev.gem.router.LinearScorer;
import dev.gem.router.ScarSettings;
import dev.gem.tensor.Tensor;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The GEM components of a model file, read from its {@code gem.*} keys and checked against the model: domain names,
 * the domain router (centroids or linear weights, layer, threshold), adapter scales, SCAR defaults, the calibrated
 * cheap path and the quantization plan. A malformed key is an error naming the file, the key and what it should be;
 * a key this version does not know is ignored and reported in {@link #warnings()}. A plain GGUF reads as empty.
 */
public final class GemSpec {
    private static final Pattern DOMAIN_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,40}");
    /** What a domain name may be, for messages. */
    public static final String DOMAIN_NAME_RULE = "1-40 letters, digits, '_', '-' or '.', and not 'auto' or 'none'";

    /** Domain names: letters, digits, '_', '-' and '.'; "auto" and "none" are selections, not names. */
    public static boolean isDomainName(String n) {
        return DOMAIN_NAME.matcher(n).matches() && !n.equals("auto") && !n.equals("none");
    }

    private final int version;
    private final List<String> domains;
    private final DomainGate gate;
    private final int routerLayer;
    private final float[] adapterAlpha, adapterScale;
    private final ScarSettings scar;
    private final CheapPath draft;
    private final int draftTokens;
    private final float draftAgreement;
    private final String quantPlan;
    private final List<String> warnings;

    private GemSpec(Reader r) {
        version = r.version;
        domains = List.copyOf(r.domains);
        gate = r.gate;
        routerLayer = r.layer;
        adapterAlpha = r.alpha;
        adapterScale = r.scale;
        scar = r.scar;
        draft = r.draft;
        draftTokens = r.draftTokens;
        draftAgreement = r.draftAgreement;
        quantPlan = r.quantPlan;
        warnings = List.copyOf(r.warnings);
    }

    /** Reads and checks the gem.* keys of a model file with the given configuration. */
    public static GemSpec read(ModelFile file, ModelConfig c) throws ModelFileException {
        return new GemSpec(new Reader(file, c));
    }

    /** Whether the file has any gem.* key. */
    public boolean present() {
        return version > 0 || !domains.isEmpty() || scar != null || draft != null || quantPlan != null;
    }

    public int version() { return version; }

    public List<String> domains() { return domains; }

    /** The domain router, or null. */
    public DomainGate gate() { return gate; }

    /** Layers the router waits for (-1 without a router). */
    public int routerLayer() { return routerLayer; }

    /** LoRA alpha of domain d's embedded adapter (0 when unset). */
    public float adapterAlpha(int d) { return adapterAlpha == null ? 0f : adapterAlpha[d]; }

    /** User scale of domain d's embedded adapter (1 when unset). */
    public float adapterScale(int d) { return adapterScale == null ? 1f : adapterScale[d]; }

    /** SCAR defaults, or null. */
    public ScarSettings scar() { return scar; }

    /** Calibrated cheap path, or null. */
    public CheapPath draft() { return draft; }

    /** Draft tokens per speculation round (0 when unset). */
    public int draftTokens() { return draftTokens; }

    /** Agreement of the cheap path with the full model (NaN when unset). */
    public float draftAgreement() { return draftAgreement; }

    /** The quantization plan's description, or null. */
    public String quantPlan() { return quantPlan; }

    /** Keys and tensors that were ignored, one message each. */
    public List<String> warnings() { return warnings; }

    /** Parses in field order, so later checks can rely on earlier values. */
    private static final class Reader {
        final ModelFile file;
        final Metadata md;
        final ModelConfig c;
        final List<String> warnings = new ArrayList<>();
        int version;
        List<String> domains = List.of();
        DomainGate gate;
        int layer = -1;
        float[] alpha, scale;
        ScarSettings scar;
        CheapPath draft;
        int draftTokens;
        float draftAgreement = Float.NaN;
        String quantPlan;

        Reader(ModelFile file, ModelConfig c) throws ModelFileException {
            this.file = file;
            this.md = file.metadata();
            this.c = c;
            for (String k : md.keys())
                if (k.startsWith(GemKeys.PREFIX) && !GemKeys.KNOWN.contains(k))
                    warnings.add("unknown GEM key " + k + " ignored (written by a newer GEM?)");
            version = md.getInt(GemKeys.VERSION, 0);
            if (version > GemKeys.CURRENT_VERSION)
                warnings.add(GemKeys.VERSION + " = " + version + " is newer than this GEM (" + GemKeys.CURRENT_VERSION + "); reading the keys it knows");
            domains();
            router();
            adapters();
            scar();
            draft();
            quantPlan = md.has(GemKeys.QUANT_PLAN) ? md.getString(GemKeys.QUANT_PLAN) : null;
        }

        ModelFileException bad(String key, String what) {
            return new ModelFileException(file.name(), "metadata key " + key + " " + what);
        }

        void domains() throws ModelFileException {
            if (!md.has(GemKeys.DOMAIN_NAMES)) return;
            String[] names = md.getStringArray(GemKeys.DOMAIN_NAMES);
            if (names.length == 0) throw bad(GemKeys.DOMAIN_NAMES, "is empty; a GEM file without domains leaves the key out");
            Set<String> seen = new HashSet<>();
            for (String n : names) {
                if (!isDomainName(n)) throw bad(GemKeys.DOMAIN_NAMES, "has the domain name '" + n + "'; names are " + DOMAIN_NAME_RULE);
                if (!seen.add(n)) throw bad(GemKeys.DOMAIN_NAMES, "names the domain '" + n + "' twice");
            }
            domains = List.of(names);
        }

        void router() throws ModelFileException {
            boolean centroids = md.has(GemKeys.ROUTER_CENTROIDS), linear = md.has(GemKeys.ROUTER_WEIGHTS);
            if (!md.has(GemKeys.ROUTER_LAYER)) {
                for (String k : List.of(GemKeys.ROUTER_CENTROIDS, GemKeys.ROUTER_CENTROID_COUNTS, GemKeys.ROUTER_WEIGHTS, GemKeys.ROUTER_BIAS, GemKeys.ROUTER_THRESHOLD))
                    if (md.has(k)) throw bad(k, "is set but " + GemKeys.ROUTER_LAYER + " is missing; the router needs the layer it reads");
                return;
            }
            if (domains.isEmpty()) throw bad(GemKeys.ROUTER_LAYER, "is set but the file names no domains (" + GemKeys.DOMAIN_NAMES + ")");
            layer = md.getInt(GemKeys.ROUTER_LAYER);
            if (layer < 0 || layer >= c.layers())
                throw bad(GemKeys.ROUTER_LAYER, "= " + layer + " is outside the model's layers; it must be 0 to " + (c.layers() - 1));
            float tau = md.getFloat(GemKeys.ROUTER_THRESHOLD, DomainGate.DEFAULT_THRESHOLD);
            if (!(tau >= 0 && tau < 1)) throw bad(GemKeys.ROUTER_THRESHOLD, "= " + tau + " must be in [0, 1)");
            if (centroids == linear)
                throw bad(GemKeys.ROUTER_LAYER, "is set, so the file needs exactly one of " + GemKeys.ROUTER_CENTROIDS + " and " + GemKeys.ROUTER_WEIGHTS);
            int dim = c.dim(), n = domains.size();
            if (centroids) {
                int[] counts = md.getIntArray(GemKeys.ROUTER_CENTROID_COUNTS);
                float[] values = md.getFloatArray(GemKeys.ROUTER_CENTROIDS);
                if (counts.length != n) throw bad(GemKeys.ROUTER_CENTROID_COUNTS, "has " + counts.length + " entries for " + n + " domains");
                long total = 0;
                for (int k : counts) {
                    if (k < 1) throw bad(GemKeys.ROUTER_CENTROID_COUNTS, "gives a domain " + k + " centroids; each needs at least one");
                    total += k;
                }
                if (values.length != total * dim)
                    throw bad(GemKeys.ROUTER_CENTROIDS, "has " + values.length + " values; " + total + " centroids of the model's hidden size "
                            + dim + " need " + total * dim + " (fitted for another model?)");
                gate = new DomainGate(new CentroidScorer(dim, values, counts), tau);
            } else {
                float[] w = md.getFloatArray(GemKeys.ROUTER_WEIGHTS);
                if (w.length != (long) n * dim)
                    throw bad(GemKeys.ROUTER_WEIGHTS, "has " + w.length + " values; " + n + " domains of the model's hidden size " + dim + " need " + (long) n * dim);
                float[] b = md.has(GemKeys.ROUTER_BIAS) ? md.getFloatArray(GemKeys.ROUTER_BIAS) : null;
                if (b != null && b.length != n) throw bad(GemKeys.ROUTER_BIAS, "has " + b.length + " values for " + n + " domains");
                gate = new DomainGate(new LinearScorer(dim, w, b), tau);
            }
        }

        void adapters() throws ModelFileException {
            alpha = perDomain(GemKeys.ADAPTER_ALPHA);
            scale = perDomain(GemKeys.ADAPTER_SCALE);
            for (Tensor t : file.tensors().values()) {
                String name = t.name();
                if (!name.startsWith(GemKeys.PREFIX)) continue;
                if (!name.startsWith(GemKeys.ADAPTER_TENSOR_PREFIX)) {
                    warnings.add("unknown GEM tensor " + name + " ignored");
                    continue;
                }
                String rest = name.substring(GemKeys.ADAPTER_TENSOR_PREFIX.length());
                int dot = rest.indexOf('.');
                int d = -1;
                try {
                    d = Integer.parseInt(dot < 0 ? rest : rest.substring(0, dot));
                } catch (NumberFormatException e) {
                    // reported below
                }
                if (d < 0 || d >= domains.size())
                    throw new ModelFileException(file.name(), "tensor " + name + " should be " + GemKeys.ADAPTER_TENSOR_PREFIX
                            + "<domain index>.<tensor>.lora_a|lora_b with an index below the " + domains.size() + " domains of " + GemKeys.DOMAIN_NAMES);
            }
        }

        float[] perDomain(String key) throws ModelFileException {
            if (!md.has(key)) return null;
            float[] v = md.getFloatArray(key);
            if (v.length != domains.size()) throw bad(key, "has " + v.length + " values for " + domains.size() + " domains");
            return v;
        }

        void scar() throws ModelFileException {
            boolean any = md.has(GemKeys.SCAR_TAU) || md.has(GemKeys.SCAR_K_MIN) || md.has(GemKeys.SCAR_K_MAX) || md.has(GemKeys.SCAR_TEMPERATURE);
            if (!any) return;
            if (!c.isMoe()) {
                warnings.add("gem.scar.* keys ignored: " + c.arch().name() + " model has no experts");
                return;
            }
            int kMax = md.getInt(GemKeys.SCAR_K_MAX, c.expertsUsed());
            if (kMax > c.experts()) throw bad(GemKeys.SCAR_K_MAX, "= " + kMax + " exceeds the model's " + c.experts() + " experts");
            try {
                scar = new ScarSettings(md.getFloat(GemKeys.SCAR_TAU, 1f), md.getInt(GemKeys.SCAR_K_MIN, 1), kMax,
                        md.getFloat(GemKeys.SCAR_TEMPERATURE, 1f));
            } catch (IllegalArgumentException e) {
                throw new ModelFileException(file.name(), "gem.scar.* keys: " + e.getMessage());
            }
        }

        void draft() throws ModelFileException {
            if (!md.has(GemKeys.DRAFT_PATH)) return;
            String spec = md.getString(GemKeys.DRAFT_PATH);
            try {
                draft = CheapPath.parse(spec, c.layers());
            } catch (IllegalArgumentException e) {
                throw bad(GemKeys.DRAFT_PATH, "= '" + spec + "' is not a cheap path of this " + c.layers() + "-layer model: " + e.getMessage());
            }
            draftTokens = md.getInt(GemKeys.DRAFT_TOKENS, 0);
            if (draftTokens < 0) throw bad(GemKeys.DRAFT_TOKENS, "= " + draftTokens + " must not be negative");
            draftAgreement = md.getFloat(GemKeys.DRAFT_AGREEMENT, Float.NaN);
        }
    }
}
