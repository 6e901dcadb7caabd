package dev.gem.engine.routing;

import dev.gem.engine.Model;
import dev.gem.engine.adapter.AdapterTargets;
import dev.gem.engine.adapter.LoraAdapter;
import dev.gem.format.GgufType;
import dev.gem.format.GgufWriter;
import dev.gem.format.Metadata;
import dev.gem.format.ModelFile;
import dev.gem.format.ModelFileException;
import dev.gem.router.CentroidScorer;
import dev.gem.router.DomainGate;
import dev.gem.router.LinearScorer;
import dev.gem.router.ScarSettings;
import dev.gem.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Puts a GEM model together: a base model's metadata and tensors, plus domains, a domain router, per-domain LoRA
 * adapters and SCAR defaults under the gem.* keys of docs/gem-format.md. Starts from what the base file already has
 * (a GEM file can be extended), and produces a {@link ModelFile} view that can be loaded directly or written with
 * {@link #writer}. The sources (base, adapter files) must stay open until the view is no longer used.
 */
public final class GemAssembly {
    private final Model base;
    private final AdapterTargets targets;
    private final List<String> names = new ArrayList<>();
    private final Map<String, LoraAdapter> adapters = new LinkedHashMap<>();
    private int layer;
    private DomainGate gate;
    private ScarSettings scar;

    /** @param base the base model, loaded without attached adapters (its file's own GEM components are kept) */
    public GemAssembly(Model base) {
        this.base = base;
        this.targets = base.domains().targets();
        GemSpec spec = base.gem();
        names.addAll(spec.domains());
        for (int d = 0; d < names.size(); d++) {
            LoraAdapter a = base.domains().adapter(d);
            if (a != null) adapters.put(names.get(d), a);
        }
        gate = spec.gate();
        layer = spec.routerLayer();
        scar = spec.scar();
    }

    public List<String> domains() { return Collections.unmodifiableList(names); }

    /** Binds an adapter to a domain (added when new, replacing any adapter it had), after checking it fits the model. */
    public GemAssembly adapter(String domain, LoraAdapter a) throws ModelFileException {
        checkName(domain);
        targets.check(a, base.kernels());
        if (!names.contains(domain)) {
            if (gate != null)
                throw new IllegalArgumentException("domain '" + domain + "' is not one the file's router knows (" + String.join(", ", names)
                        + "); fit the router again with it (gem router fit) or bind the adapter to one of those");
            names.add(domain);
        }
        adapters.put(domain, a);
        return this;
    }

    /**
     * Sets the domain router over exactly these domains (the router's domain i is {@code domains.get(i)}). Adapters of
     * domains not in the list are dropped; their names are returned.
     */
    public List<String> router(List<String> domains, int routerLayer, DomainGate g) {
        if (g.domains() != domains.size()) throw new IllegalArgumentException("router scores " + g.domains() + " domains, " + domains.size() + " named");
        if (g.scorer().dim() != base.config().dim())
            throw new IllegalArgumentException("router reads states of " + g.scorer().dim() + ", the model's are " + base.config().dim());
        if (routerLayer < 0 || routerLayer >= base.config().layers())
            throw new IllegalArgumentException("router layer " + routerLayer + " must be 0 to " + (base.config().layers() - 1));
        for (String n : domains) checkName(n);
        if (domains.stream().distinct().count() != domains.size()) throw new IllegalArgumentException("a domain is named twice: " + domains);
        List<String> dropped = new ArrayList<>();
        for (String n : names) if (!domains.contains(n) && adapters.remove(n) != null) dropped.add(n);
        names.clear();
        names.addAll(domains);
        layer = routerLayer;
        gate = g;
        return dropped;
    }

    /** Changes the router's threshold. */
    public GemAssembly threshold(float tau) {
        if (gate == null) throw new IllegalArgumentException("no domain router to set a threshold for");
        gate = new DomainGate(gate.scorer(), tau);
        return this;
    }

    public GemAssembly scar(ScarSettings s) {
        if (!base.config().isMoe()) throw new IllegalArgumentException("SCAR defaults need a mixture-of-experts model; " + base.config().arch().name() + " has no experts");
        if (s.kMax() > base.config().experts()) throw new IllegalArgumentException("SCAR k-max " + s.kMax() + " exceeds the model's " + base.config().experts() + " experts");
        scar = s;
        return this;
    }

    private static void checkName(String n) {
        if (!GemSpec.isDomainName(n)) throw new IllegalArgumentException("domain name '" + n + "' should be " + GemSpec.DOMAIN_NAME_RULE);
    }

    /** The assembled model as a file view (metadata and tensors; tensor data still lives in the sources). */
    public ModelFile build() {
        ModelFile src = base.file();
        Metadata md = new Metadata(src.name() + " + GEM components");
        for (String k : src.metadata().keys()) {
            if (replaced(k)) continue;
            Object v = src.metadata().get(k);
            if (src.metadata().type(k) == GgufType.ARRAY) md.putArray(k, src.metadata().elementType(k), v);
            else md.put(k, src.metadata().type(k), v);
        }
        md.put(GemKeys.VERSION, GgufType.UINT32, (long) GemKeys.CURRENT_VERSION);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Tensor t : src.tensors().values()) if (!t.name().startsWith(GemKeys.ADAPTER_TENSOR_PREFIX)) tensors.put(t.name(), t);
        if (!names.isEmpty()) md.putArray(GemKeys.DOMAIN_NAMES, GgufType.STRING, names.toArray(new String[0]));
        if (gate != null) putRouter(md);
        if (!adapters.isEmpty()) {
            float[] alpha = new float[names.size()], scale = new float[names.size()];
            for (int d = 0; d < names.size(); d++) {
                LoraAdapter a = adapters.get(names.get(d));
                scale[d] = 1f;
                if (a == null) continue;
                alpha[d] = a.alpha();
                scale[d] = a.userScale();
                String prefix = GemKeys.adapterPrefix(d);
                for (LoraAdapter.Pair p : a.pairs().values()) {
                    tensors.put(prefix + p.target() + ".lora_a", rename(p.a(), prefix + p.target() + ".lora_a"));
                    tensors.put(prefix + p.target() + ".lora_b", rename(p.b(), prefix + p.target() + ".lora_b"));
                }
            }
            md.putArray(GemKeys.ADAPTER_ALPHA, GgufType.FLOAT32, alpha);
            md.putArray(GemKeys.ADAPTER_SCALE, GgufType.FLOAT32, scale);
        }
        if (scar != null) {
            md.put(GemKeys.SCAR_TAU, GgufType.FLOAT32, scar.tau());
            md.put(GemKeys.SCAR_K_MIN, GgufType.UINT32, (long) scar.kMin());
            md.put(GemKeys.SCAR_K_MAX, GgufType.UINT32, (long) scar.kMax());
            md.put(GemKeys.SCAR_TEMPERATURE, GgufType.FLOAT32, scar.temperature());
        }
        Map<String, Tensor> view = Collections.unmodifiableMap(tensors);
        return new ModelFile() {
            @Override public String name() { return md.file(); }
            @Override public Metadata metadata() { return md; }
            @Override public Map<String, Tensor> tensors() { return view; }
            @Override public void close() { }
        };
    }

    private void putRouter(Metadata md) {
        md.put(GemKeys.ROUTER_LAYER, GgufType.UINT32, (long) layer);
        md.put(GemKeys.ROUTER_THRESHOLD, GgufType.FLOAT32, gate.threshold());
        if (gate.scorer() instanceof CentroidScorer c) {
            md.putArray(GemKeys.ROUTER_CENTROIDS, GgufType.FLOAT32, c.centroids());
            md.putArray(GemKeys.ROUTER_CENTROID_COUNTS, GgufType.UINT32, c.counts());
        } else if (gate.scorer() instanceof LinearScorer l) {
            md.putArray(GemKeys.ROUTER_WEIGHTS, GgufType.FLOAT32, l.weights());
            if (l.bias() != null) md.putArray(GemKeys.ROUTER_BIAS, GgufType.FLOAT32, l.bias());
        } else {
            throw new IllegalArgumentException("GEM files store centroid or linear routers, not " + gate.scorer().getClass().getSimpleName());
        }
    }

    /** Keys the assembly writes afresh (the rest of the base's metadata, SCAR and cheap-path keys included, is kept). */
    private boolean replaced(String k) {
        return k.equals(GemKeys.VERSION) || k.startsWith("gem.domain.") || k.startsWith("gem.adapter.")
                || (gate != null && List.of(GemKeys.ROUTER_LAYER, GemKeys.ROUTER_THRESHOLD, GemKeys.ROUTER_CENTROIDS,
                GemKeys.ROUTER_CENTROID_COUNTS, GemKeys.ROUTER_WEIGHTS, GemKeys.ROUTER_BIAS).contains(k))
                || (scar != null && k.startsWith("gem.scar."));
    }

    private static Tensor rename(Tensor t, String name) {
        if (name.length() > 63) throw new IllegalArgumentException("adapter tensor name " + name + " exceeds GGUF's 63 characters");
        return new Tensor(name, t.type(), t.dims(), t.data());
    }

    /** A writer for any model file view: its metadata and tensors as they are. */
    public static GgufWriter writer(ModelFile f) {
        GgufWriter w = new GgufWriter().putAll(f.metadata());
        for (Tensor t : f.tensors().values()) w.addTensor(t.name(), t.type(), t.dims(), t.data());
        return w;
    }
}
