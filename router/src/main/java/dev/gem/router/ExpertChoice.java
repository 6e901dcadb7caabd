package dev.gem.router;

/**
 * The experts chosen for one token and the weight each one's output gets. Reused across tokens to avoid allocation:
 * {@code experts[0 .. count)} and {@code weights[0 .. count)} are valid.
 */
public final class ExpertChoice {
    public final int[] experts;
    public final float[] weights;
    public int count;

    public ExpertChoice(int capacity) {
        experts = new int[capacity];
        weights = new float[capacity];
    }
}
