package dev.gem.engine.routing;

import dev.gem.engine.DomainSelection;
import dev.gem.engine.adapter.LoraAdapter;
import dev.gem.engine.model.PassHook;
import dev.gem.kernels.Kernels;
import dev.gem.kernels.ThreadPool;
import dev.gem.router.DomainGate;
import dev.gem.router.ExpertChoice;
import dev.gem.router.ExpertRouter;
import dev.gem.tensor.Tensor;

import java.util.Arrays;

/**
 * A session's Dynamic Token Router for domains, executed inside the forward pass. Every token of a pass starts on the
 * general path; under {@link DomainSelection#auto()} the domain router decides each token from its own residual
 * stream when the pass reaches the router layer L, and from then on (layers L.., and the output head) the token's
 * matrix products get its domain's LoRA update. A fixed selection gives every token one domain's update in every
 * layer. Decisions read only the token's own hidden state, which does not depend on the batch, so the same input
 * always routes the same way.
 */
public final class TokenRouting implements PassHook {
    private final Domains domains;
    private final Kernels k;
    private final ThreadPool pool;
    private final int dim;
    private final int[] rowDomain;   // per row of the pass: whose update applies now (DomainGate.GENERAL: none)
    private final float[] probs, mid, delta;
    private DomainSelection.Kind mode = DomainSelection.Kind.NONE;
    private int fixed = DomainGate.GENERAL;
    private int pos0, layer;
    private RouteLog log;

    public TokenRouting(Domains domains, Kernels k, ThreadPool pool, int dim, int batch) {
        this.domains = domains;
        this.k = k;
        this.pool = pool;
        this.dim = dim;
        this.rowDomain = new int[batch];
        this.probs = new float[Math.max(1, domains.names().size())];
        this.mid = new float[Math.max(1, domains.maxRank())];
        this.delta = new float[Math.max(1, domains.maxOut())];
    }

    /** Chooses how the following passes pick adapters; fails with a message naming the problem. */
    public void select(DomainSelection s) {
        switch (s.kind()) {
            case AUTO -> {
                if (domains.gate() == null)
                    throw new IllegalArgumentException("the model has no domain router; fit one with gem router fit, or choose --domain NAME");
                fixed = DomainGate.GENERAL;
            }
            case NONE -> fixed = DomainGate.GENERAL;
            case FIXED -> {
                int d = domains.index(s.domain());
                if (domains.adapter(d) == null)
                    throw new IllegalArgumentException("domain '" + s.domain() + "' has no adapter to apply");
                fixed = d;
            }
        }
        mode = s.kind();
    }

    /** Whether passes need this hook at all: an adapter or router is in use, or routes are being recorded. */
    public boolean active() {
        return mode != DomainSelection.Kind.NONE || log != null;
    }

    /** Starts (or, with null, stops) recording each position's route. */
    public void record(RouteLog log) { this.log = log; }

    /** The routes being recorded, or null. */
    public RouteLog log() { return log; }

    @Override
    public void beginPass(int[] tokens, int off, int n, int pos0) {
        this.pos0 = pos0;
        this.layer = -1;
        Arrays.fill(rowDomain, 0, n, fixed);
        if (log != null) for (int b = 0; b < n; b++) log.start(pos0 + b, tokens[off + b], fixed);
    }

    @Override
    public void beforeLayer(int l, boolean skipped, float[] hidden, int n) {
        layer = l;
        if (mode == DomainSelection.Kind.AUTO && l == domains.routerLayer()) {
            DomainGate gate = domains.gate();
            for (int b = 0; b < n; b++) {
                int d = gate.decide(hidden, b * dim, probs);
                rowDomain[b] = d;
                if (log != null) log.decided(pos0 + b, d, probs[d < 0 ? argmax(probs, gate.domains()) : d]);
            }
        }
        if (log != null && !skipped) for (int b = 0; b < n; b++) log.ran(pos0 + b, l + 1);
    }

    private static int argmax(float[] p, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (p[i] > p[best]) best = i;
        return best;
    }

    @Override
    public void afterMatmul(Tensor weight, float[] in, int rows, int firstToken, float[] out) {
        LoraAdapter.Pair[] byDomain = domains.pairsFor(weight.name());
        if (byDomain == null) return;
        int inDim = weight.cols(), outDim = weight.rows();
        for (int r = 0; r < rows; r++) {
            int d = rowDomain[firstToken + r];
            if (d < 0 || byDomain[d] == null) continue;
            LoraAdapter.Pair p = byDomain[d];
            // out += scale * B (A x), the order llama.cpp computes it in
            k.matvec(pool, p.a(), in, r * inDim, mid, 0);
            k.matvec(pool, p.b(), mid, 0, delta, 0);
            k.axpy(p.scale(), delta, 0, out, r * outDim, outDim);
        }
    }

    /** Wraps an expert router so that the experts each token gets are recorded in the log (when recording). */
    public ExpertRouter recordingExperts(ExpertRouter inner) {
        return new ExpertRouter() {
            @Override
            public void route(float[] logits, int off, int experts, ExpertChoice out) {
                inner.route(logits, off, experts, out);
                // the transformer routes token b from logits[b * experts ..]
                if (log != null) log.experts(pos0 + off / experts, layer, out.experts, out.count);
            }

            @Override
            public int maxExperts() { return inner.maxExperts(); }
        };
    }
}
