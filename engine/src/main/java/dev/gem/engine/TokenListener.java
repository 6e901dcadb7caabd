package dev.gem.engine;

/**
 * Hears each generated token as soon as it is chosen. {@code text} is the newly complete text (possibly empty while a
 * multi-byte character is still being assembled from byte tokens). Return false to stop generating.
 */
@FunctionalInterface
public interface TokenListener {
    boolean onToken(int id, String text);
}
