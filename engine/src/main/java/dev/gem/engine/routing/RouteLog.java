package dev.gem.engine.routing;

import dev.gem.engine.TokenRoute;

import java.util.Arrays;
import java.util.List;

/**
 * What happened to the token at each context position in the last pass that processed it: its token id, domain,
 * router probability, depth and experts. Positions are overwritten when a pass runs them again (after a rewind), so
 * the log always describes the tokens that are in the cache.
 */
public final class RouteLog {
    private final int[] token, domain, depth;
    private final float[] probability;
    private final int[][][] experts;   // [position][layer] -> chosen experts, or null
    private final int layers;
    private final List<String> names;

    public RouteLog(int capacity, int layers, List<String> domainNames) {
        token = new int[capacity];
        domain = new int[capacity];
        depth = new int[capacity];
        probability = new float[capacity];
        experts = new int[capacity][][];
        this.layers = layers;
        this.names = domainNames;
    }

    /** A pass starts at this position with this token and (before any decision) this domain. */
    void start(int pos, int tok, int dom) {
        token[pos] = tok;
        domain[pos] = dom;
        depth[pos] = 0;
        probability[pos] = Float.NaN;
        experts[pos] = null;
    }

    void decided(int pos, int dom, float p) {
        domain[pos] = dom;
        probability[pos] = p;
    }

    void ran(int pos, int layersRun) { depth[pos] = layersRun; }

    void experts(int pos, int layer, int[] chosen, int count) {
        if (experts[pos] == null) experts[pos] = new int[layers][];
        experts[pos][layer] = Arrays.copyOf(chosen, count);
    }

    public TokenRoute route(int pos) {
        int d = domain[pos];
        int[][] e = experts[pos] == null ? null : experts[pos].clone();
        return new TokenRoute(pos, token[pos], d < 0 ? null : names.get(d), probability[pos], depth[pos], e);
    }
}
