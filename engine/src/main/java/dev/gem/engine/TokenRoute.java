package dev.gem.engine;

/**
 * How the token at one position went through the model, for inspection.
 *
 * @param position    context position
 * @param token       token id
 * @param domain      the domain whose adapter it got (routed or chosen), or null for the general path
 * @param probability the domain router's top probability for it (NaN when no router decided)
 * @param exitLayer   layers run before the output head (the model's layer count for a full pass)
 * @param experts     per layer, the experts it was sent to, most probable first (null for dense models)
 */
public record TokenRoute(int position, int token, String domain, float probability, int exitLayer, int[][] experts) {}
