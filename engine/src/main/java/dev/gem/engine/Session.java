package dev.gem.engine;

import dev.gem.engine.model.KvCache;
import dev.gem.engine.model.Transformer;
import dev.gem.engine.routing.RouteLog;
import dev.gem.engine.routing.TokenRouting;
import dev.gem.engine.sample.Sampler;
import dev.gem.router.ExpertRouter;
import dev.gem.router.RoutingStats;
import dev.gem.router.ScarRouter;
import dev.gem.router.ScarSettings;

/**
 * One conversation with a model: the KV cache of everything fed so far and the activation buffers of the forward
 * pass. Feeding tokens extends the context; {@link #reset} forgets it. Not thread-safe: use one session per thread.
 */
public final class Session implements AutoCloseable {
    private final Model model;
    private final KvCache cache;
    private final Transformer transformer;
    private final float[] logits;
    private final RoutingStats routingStats;
    private int position;
    // the token router's domains and adapters, and route inspection (null until a model with domains or a listener needs it)
    private TokenRouting routing;
    private ExpertRouter expertRouter;
    private RoutingListener routingListener;
    private int reported;             // routes of positions below this have been reported

    Session(Model model, int contextSize) {
        this.model = model;
        this.cache = new KvCache(model.config(), contextSize, model.options().kvType());
        // an encoder sees its whole input at once, so its batch is the context
        int batch = model.config().arch().encoder() ? contextSize : Math.min(model.options().batchSize(), contextSize);
        this.transformer = new Transformer(model.config(), model.weights(), model.kernels(), model.pool(), batch);
        this.logits = new float[model.config().vocab()];
        this.routingStats = model.config().isMoe() ? new RoutingStats(model.config().experts()) : null;
        var domains = model.domains();
        if (domains.gate() != null || domains.adapterCount() == 1) setDomain(null); // the GEM file's routing by default
    }

    /**
     * Routes experts with SCAR (variable k) from now on, or with the model's own top-k when {@code scar} is null.
     * Only meaningful for mixture-of-experts models; others ignore a null and reject settings.
     */
    public void setScar(ScarSettings scar) {
        var c = model.config();
        if (!c.isMoe()) {
            if (scar != null) throw new UnsupportedOperationException("SCAR needs a mixture-of-experts model; " + c.arch().name() + " has no experts");
            return;
        }
        if (scar != null && scar.kMax() > c.experts())
            throw new IllegalArgumentException("SCAR k-max " + scar.kMax() + " exceeds the model's " + c.experts() + " experts");
        expertRouter = scar == null ? transformer.standardRouter()
                : new ScarRouter(c.gating(), c.expertNormalize(), c.expertScale(), scar, routingStats);
        transformer.setRouter(routingListener != null ? routing.recordingExperts(expertRouter) : expertRouter);
    }

    /**
     * Chooses which domain adapter the following tokens get: per token by the model's domain router, none, or one
     * domain's for all (null: the model's default, see {@link dev.gem.engine.routing.Domains#defaultSelection}).
     */
    public void setDomain(DomainSelection selection) {
        var domains = model.domains();
        DomainSelection s = selection != null ? selection : domains.defaultSelection();
        if (routing == null) {
            if (s.kind() == DomainSelection.Kind.NONE) return;
            routing = newRouting();
        }
        routing.select(s);
        transformer.setHook(routing.active() ? routing : null);
    }

    /**
     * Reports how every token is routed from now on (null: stop): its domain and router probability, the experts of
     * each layer and the depth it ran to. Routes of positions already fed are not reported again.
     */
    public void setRoutingListener(RoutingListener listener) {
        if (routing == null) routing = newRouting();
        routingListener = listener;
        routing.record(listener == null ? null : new RouteLog(cache.capacity(), model.config().layers(), model.domains().names()));
        reported = position;
        transformer.setHook(routing.active() ? routing : null);
        if (model.config().isMoe()) setScar(expertRouter instanceof ScarRouter r ? r.settings() : null);
    }

    private TokenRouting newRouting() {
        return new TokenRouting(model.domains(), model.kernels(), model.pool(), model.config().dim(), transformer.batchSize());
    }

    /** Hands the routes of the positions fed since the last report to the listener. */
    void reportRoutes() {
        if (routingListener == null) return;
        RouteLog log = routing.log();
        for (; reported < position; reported++) routingListener.onRoute(log.route(reported));
    }

    /** Experts per token under SCAR since the session began (reset() does not clear it; null for dense models). */
    public RoutingStats routingStats() { return routingStats; }

    Model model() { return model; }

    /** Positions used so far. */
    public int position() { return position; }

    public int contextSize() { return cache.capacity(); }

    /** Forgets everything fed so far. */
    public void reset() { rewind(0); }

    /**
     * Forgets everything after the first {@code keep} positions, so the next tokens continue from there (a chat whose
     * re-rendered history shares a prefix with what was fed keeps that prefix's cache).
     */
    public void rewind(int keep) {
        if (keep < 0 || keep > position) throw new IllegalArgumentException("cannot rewind to " + keep + " from position " + position);
        position = keep;
        reported = Math.min(reported, keep);
    }

    /**
     * Feeds tokens (in batches) and returns the logits after the last one. The returned array is reused by the next
     * call. Fails with a clear message when the tokens do not fit in the remaining context.
     */
    public float[] feed(int[] tokens) {
        if (tokens.length == 0) throw new IllegalArgumentException("nothing to feed");
        if (position + tokens.length > cache.capacity())
            throw new IllegalStateException("context full: " + position + " positions used, " + tokens.length
                    + " more do not fit in " + cache.capacity() + " (raise the context size)");
        int batch = transformer.batchSize();
        for (int off = 0; off < tokens.length; off += batch) {
            int n = Math.min(batch, tokens.length - off);
            boolean last = off + n == tokens.length;
            synchronized (model.pool()) {
                model.checkOpen();
                transformer.forward(tokens, off, n, position, cache, logits, last ? 1 : 0);
            }
            position += n;
        }
        reportRoutes();
        return logits;
    }

    /**
     * Each token's residual stream after the first {@code layer} layers, where the domain router reads it: the tokens
     * run from the current position through those layers only, in batches, and are forgotten afterwards (the position
     * does not change). Row i ({@code dim} floats) belongs to tokens[i]; rows do not depend on the batching.
     */
    public float[] hiddenStates(int[] tokens, int layer) {
        var c = model.config();
        if (layer < 0 || layer > c.layers()) throw new IllegalArgumentException("layer " + layer + " of a " + c.layers() + "-layer model");
        if (position + tokens.length > cache.capacity())
            throw new IllegalStateException("context full: " + position + " positions used, " + tokens.length + " more do not fit in " + cache.capacity());
        int dim = c.dim(), start = position, batch = transformer.batchSize();
        float[] out = new float[tokens.length * dim];
        for (int off = 0; off < tokens.length; off += batch) {
            int n = Math.min(batch, tokens.length - off);
            synchronized (model.pool()) {
                model.checkOpen();
                transformer.begin(tokens, off, n, position, cache);
                transformer.layers(0, layer, null, false);
                System.arraycopy(transformer.hidden(), 0, out, off * dim, n * dim);
            }
            position += n;
        }
        rewind(start);
        return out;
    }

    /**
     * The embedding of a text from an encoder model (BERT): the final hidden states pooled as the model says (CLS
     * token, mean, or last), optionally scaled to unit length. Each call starts from an empty context.
     */
    public float[] embed(String text, boolean normalize) {
        var c = model.config();
        if (!c.arch().encoder()) throw new UnsupportedOperationException(c.arch().name() + " is not an embedding (encoder) model");
        int[] ids = model.tokenizer().encode(text, true, true);
        if (ids.length == 0) throw new IllegalArgumentException("nothing to embed");
        if (ids.length > cache.capacity())
            throw new IllegalArgumentException("text of " + ids.length + " tokens exceeds the encoder's context of " + cache.capacity());
        int dim = c.dim();
        float[] hidden = new float[ids.length * dim];
        synchronized (model.pool()) {
            model.checkOpen();
            transformer.forward(ids, 0, ids.length, 0, cache, hidden, ids.length);
        }
        position = 0;
        float[] out = new float[dim];
        switch (c.pooling()) {
            case CLS, NONE -> System.arraycopy(hidden, 0, out, 0, dim);
            case LAST -> System.arraycopy(hidden, (ids.length - 1) * dim, out, 0, dim);
            case MEAN -> {
                for (int t = 0; t < ids.length; t++) for (int i = 0; i < dim; i++) out[i] += hidden[t * dim + i];
                for (int i = 0; i < dim; i++) out[i] /= ids.length;
            }
        }
        if (normalize) {
            double ss = 0;
            for (float v : out) ss += (double) v * v;
            float inv = ss > 0 ? (float) (1.0 / Math.sqrt(ss)) : 0f;
            for (int i = 0; i < dim; i++) out[i] *= inv;
        }
        return out;
    }

    /**
     * Feeds tokens as one batch and returns the logits after each of them (row i follows token i), for scoring a
     * text (perplexity) or verifying drafted tokens. At most the session's batch size at once.
     */
    public float[][] feedAll(int[] tokens) {
        float[][] rows = feedBatch(tokens);
        reportRoutes();
        return rows;
    }

    /** {@link #feedAll} without reporting routes: speculative verification reports only what it keeps. */
    float[][] feedBatch(int[] tokens) {
        int n = tokens.length;
        if (n == 0 || n > transformer.batchSize())
            throw new IllegalArgumentException(n + " tokens; feedAll takes 1 to " + transformer.batchSize() + " at once");
        if (position + n > cache.capacity())
            throw new IllegalStateException("context full: " + position + " positions used, " + n + " more do not fit in " + cache.capacity());
        int vocab = model.config().vocab();
        float[] flat = new float[n * vocab];
        synchronized (model.pool()) {
            model.checkOpen();
            transformer.forward(tokens, 0, n, position, cache, flat, n);
        }
        position += n;
        float[][] rows = new float[n][];
        for (int i = 0; i < n; i++) rows[i] = java.util.Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab);
        return rows;
    }

    /** Tokenizes {@code prompt} (with BOS if the options and vocabulary say so) and generates a continuation. */
    public GenerationResult generate(String prompt, GenerateOptions options, TokenListener listener) {
        boolean bos = options.addBos() && position == 0 && model.tokenizer().addsBos();
        int[] ids = model.tokenizer().encode(prompt, bos, true);
        if (ids.length == 0) {
            int b = model.tokenizer().bos();
            if (b < 0) throw new IllegalArgumentException("empty prompt and the vocabulary has no BOS token to start from");
            ids = new int[]{b};
        }
        return generate(ids, options, listener);
    }

    /**
     * Generates a continuation of the given prompt tokens: plainly, with exact self-speculative decoding, or with
     * approximate early exits, as the options say.
     */
    public GenerationResult generate(int[] prompt, GenerateOptions options, TokenListener listener) {
        setScar(options.scar() != null ? options.scar() : model.gem().scar());
        setDomain(options.domain());
        Sampler sampler = new Sampler(options.sampler());
        for (int t : prompt) sampler.accept(t);
        Emitter out = new Emitter(model.tokenizer(), options, listener);
        long t0 = System.nanoTime();
        float[] l = feed(prompt);
        long t1 = System.nanoTime();
        if (options.speculation() != null) {
            lastSpeculation = new SpeculativeDecoder(this, options.speculation(), sampler, out).run(l);
        } else {
            int vocab = model.config().vocab();
            int[] one = new int[1];
            while (true) {
                int next = sampler.sample(l, 0, vocab);
                if (!out.emit(next)) break;
                sampler.accept(next);
                if (position >= cache.capacity()) {
                    out.contextFull();
                    break;
                }
                one[0] = next;
                l = options.earlyExit() != null ? feedEarlyExit(next, options.earlyExit()) : feed(one);
            }
        }
        return out.finish(prompt.length, t1 - t0, System.nanoTime() - t1);
    }

    private dev.gem.router.SpeculationPolicy lastSpeculation;
    private long earlyExits, earlyExitChecks;

    /** Acceptance and fallback statistics of the last speculative generation (null if none ran). */
    public dev.gem.router.SpeculationPolicy lastSpeculation() { return lastSpeculation; }

    /** How many tokens took the early exit, of how many were offered it, since the session began. */
    public long[] earlyExitCounts() { return new long[]{earlyExits, earlyExitChecks}; }

    /**
     * One token through a cheap path (layers marked in {@code skip} are not run) and the output head: the logits the
     * Dynamic Token Router would see. The token occupies the next position; {@link #rewind} to drop it.
     */
    public float[] cheapStep(int token, boolean[] skip) {
        if (skip.length != model.config().layers())
            throw new IllegalArgumentException("skip mask for " + skip.length + " layers; the model has " + model.config().layers());
        return feedCheap(token, skip);
    }

    /**
     * One token through the cheap path only: the layers it does not skip, then the output head. Keys and values are
     * written only for the layers it runs; a later full-depth pass over the same position overwrites them all.
     */
    float[] feedCheap(int token, boolean[] skip) {
        if (position + 1 > cache.capacity()) throw new IllegalStateException("context full");
        synchronized (model.pool()) {
            model.checkOpen();
            transformer.begin(new int[]{token}, 0, 1, position, cache);
            transformer.layers(0, model.config().layers(), skip, false);
            transformer.head(1, logits);
        }
        position++;
        return logits;
    }

    /**
     * One token with an early exit: the exit's distribution if it is confident, otherwise the full model's (what
     * generation with {@link GenerateOptions#earlyExit} does per token; public so its cost can be measured on a text).
     * The returned array is reused by the next call.
     */
    public float[] feedEarlyExit(int token, EarlyExit exit) {
        int layers = model.config().layers();
        if (exit.layer() >= layers) throw new IllegalArgumentException("exit layer " + exit.layer() + " of a " + layers + "-layer model");
        synchronized (model.pool()) {
            model.checkOpen();
            transformer.begin(new int[]{token}, 0, 1, position, cache);
            transformer.layers(0, exit.layer(), null, false);
            transformer.head(1, logits);
            earlyExitChecks++;
            if (exit.rule().test(logits, 0, logits.length)) {
                earlyExits++;
                boolean[] all = new boolean[layers];
                java.util.Arrays.fill(all, true);
                transformer.layers(exit.layer(), layers, all, true); // keys and values from the exit state
            } else {
                transformer.layers(exit.layer(), layers, null, false);
                transformer.head(1, logits);
            }
        }
        position++;
        reportRoutes();
        return logits;
    }

    @Override
    public void close() {
        // The cache is heap memory; nothing to release eagerly. Kept AutoCloseable so callers scope sessions.
    }
}
