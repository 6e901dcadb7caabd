package dev.gem.engine;

/**
 * Hears how each token was routed, once its position is final: after the pass that processed it, or, under
 * speculative decoding, after its verification (drafts that are thrown away are never reported). Prompt tokens are
 * reported too.
 */
@FunctionalInterface
public interface RoutingListener {
    void onRoute(TokenRoute route);
}
