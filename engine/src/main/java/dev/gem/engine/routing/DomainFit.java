package dev.gem.engine.routing;

import dev.gem.engine.DomainSelection;
import dev.gem.engine.Model;
import dev.gem.engine.Session;
import dev.gem.router.CentroidScorer;
import dev.gem.router.DomainGate;
import dev.gem.router.KMeans;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Fits a domain router without training: runs each domain's texts through the model's first L layers, clusters the
 * hidden states of each domain with deterministic k-means, and keeps the cluster centres as that domain's centroids.
 * A token's domain score is then its best scaled dot product with them ({@link CentroidScorer}). Hidden states do not
 * depend on batching and k-means has a fixed seed, so the same texts always give the same router.
 */
public final class DomainFit {
    /** What the router does with each domain's own fitting tokens. */
    public record Result(DomainGate gate, int layer, List<String> domains, int[] tokens, int[] centroids, double[][] routedShare) {}

    private final Model model;
    private final Consumer<String> progress;

    public DomainFit(Model model, Consumer<String> progress) {
        this.model = model;
        this.progress = progress == null ? s -> { } : progress;
    }

    /**
     * @param texts    per domain (in order), its token sequences; each runs from an empty context, in windows of the
     *                 context size
     * @param clusters centroids per domain (fewer when a domain has fewer tokens)
     */
    public Result fit(List<String> domains, List<List<int[]>> texts, int layer, int clusters, float threshold, long seed) {
        int dim = model.config().dim();
        if (domains.size() != texts.size()) throw new IllegalArgumentException(domains.size() + " domains but " + texts.size() + " text lists");
        if (layer < 0 || layer >= model.config().layers())
            throw new IllegalArgumentException("router layer " + layer + " must be 0 to " + (model.config().layers() - 1));
        if (clusters < 1) throw new IllegalArgumentException("--clusters must be at least 1, got " + clusters);
        List<float[]> states = new ArrayList<>();
        int[] tokens = new int[domains.size()], counts = new int[domains.size()];
        float[] centroids = new float[0];
        for (int d = 0; d < domains.size(); d++) {
            float[] h = hidden(texts.get(d), layer);
            tokens[d] = h.length / dim;
            if (tokens[d] == 0) throw new IllegalArgumentException("domain '" + domains.get(d) + "' has no tokens to fit");
            states.add(h);
            int k = Math.min(clusters, tokens[d]);
            KMeans.Result r = KMeans.fit(h, tokens[d], dim, k, seed, 200);
            counts[d] = k;
            int at = centroids.length;
            centroids = Arrays.copyOf(centroids, at + r.centroids().length);
            System.arraycopy(r.centroids(), 0, centroids, at, r.centroids().length);
            progress.accept(domains.get(d));
        }
        DomainGate gate = new DomainGate(new CentroidScorer(dim, centroids, counts), threshold);
        double[][] share = new double[domains.size()][domains.size() + 1];
        float[] p = new float[domains.size()];
        for (int d = 0; d < domains.size(); d++) {
            float[] h = states.get(d);
            for (int t = 0; t < tokens[d]; t++) {
                int to = gate.decide(h, t * dim, p);
                share[d][to < 0 ? domains.size() : to] += 1.0 / tokens[d];
            }
        }
        return new Result(gate, layer, List.copyOf(domains), tokens, counts, share);
    }

    /** Hidden states after {@code layer} layers of every token of the texts, row-major. */
    private float[] hidden(List<int[]> texts, int layer) {
        int window = model.contextSize();
        float[] all = new float[0];
        try (Session s = model.newSession()) {
            s.setDomain(DomainSelection.none()); // the router sees the general path's states
            for (int[] text : texts) {
                for (int off = 0; off < text.length; off += window) {
                    int[] part = Arrays.copyOfRange(text, off, Math.min(text.length, off + window));
                    float[] h = s.hiddenStates(part, layer);
                    int at = all.length;
                    all = Arrays.copyOf(all, at + h.length);
                    System.arraycopy(h, 0, all, at, h.length);
                }
            }
        }
        return all;
    }
}
