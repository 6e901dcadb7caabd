package dev.gem.router;

import java.util.Arrays;

/**
 * Domain scores from centroids fitted without training: each domain has one or more centroids (cluster centres of its
 * texts' hidden states), and a domain's score is the best scaled dot product of the hidden state with its centroids,
 * {@code max_j (h . c_j) / sqrt(dim)}, as the scores of cross-attention from the token to the centroids are.
 */
public final class CentroidScorer implements DomainScorer {
    private final int dim;
    private final float[] centroids;   // all centroids, row-major, grouped by domain
    private final int[] first;         // first centroid row of each domain, plus the total at the end
    private final double scale;

    /**
     * @param centroids row-major centroids, {@code counts[0]} rows of domain 0, then domain 1's, ...
     * @param counts    centroids per domain (each at least 1)
     */
    public CentroidScorer(int dim, float[] centroids, int[] counts) {
        if (dim < 1) throw new IllegalArgumentException("hidden size must be positive, got " + dim);
        if (counts.length == 0) throw new IllegalArgumentException("no domains");
        first = new int[counts.length + 1];
        for (int d = 0; d < counts.length; d++) {
            if (counts[d] < 1) throw new IllegalArgumentException("domain " + d + " has " + counts[d] + " centroids; each domain needs at least one");
            first[d + 1] = first[d] + counts[d];
        }
        if ((long) first[counts.length] * dim != centroids.length)
            throw new IllegalArgumentException(centroids.length + " centroid values, but " + first[counts.length] + " centroids of "
                    + dim + " need " + (long) first[counts.length] * dim);
        this.dim = dim;
        this.centroids = centroids.clone();
        this.scale = 1.0 / Math.sqrt(dim);
    }

    @Override
    public int domains() { return first.length - 1; }

    @Override
    public int dim() { return dim; }

    /** Centroids of domain d. */
    public int centroidCount(int d) { return first[d + 1] - first[d]; }

    /** A copy of all centroid values, row-major, grouped by domain. */
    public float[] centroids() { return centroids.clone(); }

    /** Centroids per domain. */
    public int[] counts() {
        int[] c = new int[domains()];
        for (int d = 0; d < c.length; d++) c[d] = centroidCount(d);
        return c;
    }

    @Override
    public void score(float[] h, int off, float[] out) {
        for (int d = 0; d < domains(); d++) {
            double best = Double.NEGATIVE_INFINITY;
            for (int j = first[d]; j < first[d + 1]; j++) best = Math.max(best, dot(h, off, centroids, j * dim, dim));
            out[d] = (float) (best * scale);
        }
    }

    /** Sequential double-precision dot product: deterministic and independent of the vector width. */
    static double dot(float[] a, int aOff, float[] b, int bOff, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) a[aOff + i] * b[bOff + i];
        return s;
    }

    @Override
    public String toString() {
        return "centroids " + Arrays.toString(counts()) + " of dim " + dim;
    }
}
