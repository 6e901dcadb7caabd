package dev.gem.engine.routing;

import dev.gem.engine.AdapterFile;
import dev.gem.engine.DomainSelection;
import dev.gem.engine.adapter.AdapterTargets;
import dev.gem.engine.adapter.LoraAdapter;
import dev.gem.engine.model.Weights;
import dev.gem.format.GgufFile;
import dev.gem.format.ModelFile;
import dev.gem.kernels.Kernels;
import dev.gem.router.DomainGate;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A loaded model's domains: their names, the domain router (if the GEM file has one) and each domain's LoRA adapter
 * (embedded in the GEM file, or loaded from an adapter file and bound to a domain name). Adapter files given at load
 * time replace an embedded adapter of the same domain; a new name adds a domain that only explicit selection reaches,
 * since the router was not fitted for it.
 */
public final class Domains implements AutoCloseable {
    private final List<String> names;
    private final DomainGate gate;
    private final int routerLayer;
    private final LoraAdapter[] adapters;
    private final Map<String, LoraAdapter.Pair[]> byTarget = new HashMap<>();
    private final List<ModelFile> opened;
    private final AdapterTargets targets;

    private Domains(List<String> names, DomainGate gate, int routerLayer, LoraAdapter[] adapters, List<ModelFile> opened,
                    AdapterTargets targets) {
        this.targets = targets;
        this.names = List.copyOf(names);
        this.gate = gate;
        this.routerLayer = routerLayer;
        this.adapters = adapters;
        this.opened = opened;
        for (int d = 0; d < adapters.length; d++) {
            if (adapters[d] == null) continue;
            for (LoraAdapter.Pair p : adapters[d].pairs().values())
                byTarget.computeIfAbsent(p.target(), t -> new LoraAdapter.Pair[adapters.length])[d] = p;
        }
    }

    /**
     * The domains of {@code file} (per its {@link GemSpec}) plus the attached adapter files, each adapter checked
     * against the model's weights. The adapter files stay open until {@link #close}.
     */
    public static Domains load(ModelFile file, GemSpec spec, Weights w, Kernels k, String arch, List<AdapterFile> attached)
            throws IOException {
        List<String> names = new ArrayList<>(spec.domains());
        List<LoraAdapter> adapters = new ArrayList<>();
        for (int d = 0; d < names.size(); d++)
            adapters.add(LoraAdapter.embedded(file, GemKeys.adapterPrefix(d), spec.adapterAlpha(d), spec.adapterScale(d)));
        List<ModelFile> opened = new ArrayList<>();
        try {
            for (AdapterFile a : attached) {
                if (!GemSpec.isDomainName(a.domain()))
                    throw new IllegalArgumentException("adapter domain name '" + a.domain() + "' should be " + GemSpec.DOMAIN_NAME_RULE);
                ModelFile f = GgufFile.open(a.path());
                opened.add(f);
                LoraAdapter adapter = LoraAdapter.read(f, arch, a.scale());
                int d = names.indexOf(a.domain());
                if (d < 0) {
                    names.add(a.domain());
                    adapters.add(adapter);
                } else {
                    adapters.set(d, adapter);
                }
            }
            AdapterTargets targets = new AdapterTargets(w);
            for (LoraAdapter a : adapters) if (a != null) targets.check(a, k);
            return new Domains(names, spec.gate(), spec.routerLayer(), adapters.toArray(new LoraAdapter[0]), opened, targets);
        } catch (IOException | RuntimeException e) {
            for (ModelFile f : opened) f.close();
            throw e;
        }
    }

    public List<String> names() { return names; }

    /** The model's matrices an adapter may update. */
    public AdapterTargets targets() { return targets; }

    /** The domain router, or null. */
    public DomainGate gate() { return gate; }

    /** Layers the router waits for (-1 without a router). */
    public int routerLayer() { return routerLayer; }

    /** Domain d's adapter, or null. */
    public LoraAdapter adapter(int d) { return adapters[d]; }

    public int adapterCount() {
        int n = 0;
        for (LoraAdapter a : adapters) if (a != null) n++;
        return n;
    }

    /** Per domain, the update of the named weight (entries null where a domain's adapter leaves it alone); null if none. */
    LoraAdapter.Pair[] pairsFor(String target) { return byTarget.get(target); }

    /** Widest intermediate (rank) and output of any update, for scratch buffers. */
    int maxRank() {
        int r = 0;
        for (LoraAdapter a : adapters) if (a != null) r = Math.max(r, a.maxRank());
        return r;
    }

    int maxOut() {
        int o = 0;
        for (LoraAdapter.Pair[] ps : byTarget.values())
            for (LoraAdapter.Pair p : ps) if (p != null) o = Math.max(o, p.b().rows());
        return o;
    }

    /** Whether the model has anything to route: a router or an adapter. */
    public boolean isEmpty() { return gate == null && adapterCount() == 0; }

    /**
     * What a request that does not choose gets: the router when there is one, else the only adapter, else nothing.
     * With several adapters and no router there is no sensible default, and this says so.
     */
    public DomainSelection defaultSelection() {
        if (gate != null) return DomainSelection.auto();
        int n = adapterCount();
        if (n == 0) return DomainSelection.none();
        if (n == 1) for (int d = 0; d < adapters.length; d++) if (adapters[d] != null) return DomainSelection.of(names.get(d));
        throw new IllegalStateException(n + " adapters (" + String.join(", ", names) + ") and no domain router to choose among them: "
                + "select one per request (--domain NAME), or fit a router with gem router fit");
    }

    /** Index of a domain by name, or an error listing the names. */
    public int index(String name) {
        int d = names.indexOf(name);
        if (d < 0) throw new IllegalArgumentException("unknown domain '" + name + "'" + (names.isEmpty() ? "; the model has no domains"
                : "; the model's domains are " + String.join(", ", names)));
        return d;
    }

    @Override
    public void close() {
        for (ModelFile f : opened) f.close();
    }

    /** Shown by tools: e.g. "law (adapter, rank 8, 14 tensors)". */
    public String describe(int d) {
        LoraAdapter a = adapters[d];
        return names.get(d) + (a == null ? " (no adapter)" : " (adapter, rank " + a.maxRank() + ", " + a.pairs().size() + " matrices)");
    }
}
