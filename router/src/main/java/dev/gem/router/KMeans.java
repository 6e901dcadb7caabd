package dev.gem.router;

import java.util.SplittableRandom;

/**
 * Deterministic k-means for fitting domain centroids: k-means++ seeding from a fixed-seed generator, then Lloyd
 * iterations (assign every point to its nearest centre by squared distance, ties to the lower index; move each centre
 * to its points' mean, summed in double precision in point order) until no assignment changes. The same points, k and
 * seed always give the same centres.
 */
public final class KMeans {
    private KMeans() {}

    /** The fitted centres and how the points were assigned to them. */
    public record Result(float[] centroids, int k, int[] assignment, int iterations) {}

    /**
     * Clusters {@code count} points of {@code dim} floats stored row-major in {@code points}.
     *
     * @param k             clusters wanted; at most the number of distinct points
     * @param maxIterations Lloyd iterations at most
     */
    public static Result fit(float[] points, int count, int dim, int k, long seed, int maxIterations) {
        if (count < 1) throw new IllegalArgumentException("no points to cluster");
        if ((long) count * dim > points.length) throw new IllegalArgumentException(count + " points of " + dim + " exceed the " + points.length + " values given");
        if (k < 1) throw new IllegalArgumentException("k must be at least 1, got " + k);
        if (k > count) throw new IllegalArgumentException(k + " clusters need at least as many points; only " + count + " given");
        float[] c = seed(points, count, dim, k, new SplittableRandom(seed));
        int[] assign = new int[count];
        java.util.Arrays.fill(assign, -1);
        int it = 0;
        while (it < maxIterations) {
            it++;
            if (!assign(points, count, dim, c, k, assign)) break;
            update(points, count, dim, c, k, assign);
        }
        return new Result(c, k, assign, it);
    }

    /** k-means++: the first centre uniformly, each next one with probability proportional to its squared distance. */
    static float[] seed(float[] points, int count, int dim, int k, SplittableRandom rng) {
        float[] c = new float[k * dim];
        int firstPick = rng.nextInt(count);
        System.arraycopy(points, firstPick * dim, c, 0, dim);
        double[] d2 = new double[count];
        for (int i = 0; i < count; i++) d2[i] = distance2(points, i * dim, c, 0, dim);
        for (int j = 1; j < k; j++) {
            double total = 0;
            for (double v : d2) total += v;
            if (total == 0) throw new IllegalArgumentException("only " + j + " distinct points; cannot make " + k + " clusters");
            double r = rng.nextDouble() * total;
            int pick = count - 1;
            for (int i = 0; i < count; i++) {
                r -= d2[i];
                if (r < 0 && d2[i] > 0) {
                    pick = i;
                    break;
                }
            }
            while (d2[pick] == 0) pick--; // rounding left r just short of the total: take the last candidate
            System.arraycopy(points, pick * dim, c, j * dim, dim);
            for (int i = 0; i < count; i++) d2[i] = Math.min(d2[i], distance2(points, i * dim, c, j * dim, dim));
        }
        return c;
    }

    /** Assigns each point to its nearest centre; returns whether any assignment changed. */
    static boolean assign(float[] points, int count, int dim, float[] c, int k, int[] assign) {
        boolean changed = false;
        for (int i = 0; i < count; i++) {
            int best = nearest(points, i * dim, c, k, dim);
            if (best != assign[i]) {
                assign[i] = best;
                changed = true;
            }
        }
        return changed;
    }

    /** Index of the centre nearest to the point at {@code off} (ties to the lower index). */
    public static int nearest(float[] points, int off, float[] c, int k, int dim) {
        int best = 0;
        double bestD = Double.POSITIVE_INFINITY;
        for (int j = 0; j < k; j++) {
            double d = distance2(points, off, c, j * dim, dim);
            if (d < bestD) {
                bestD = d;
                best = j;
            }
        }
        return best;
    }

    /** Moves each centre to the mean of its points; a centre that lost all its points stays where it was. */
    static void update(float[] points, int count, int dim, float[] c, int k, int[] assign) {
        double[] sum = new double[k * dim];
        int[] n = new int[k];
        for (int i = 0; i < count; i++) {
            int j = assign[i];
            n[j]++;
            for (int x = 0; x < dim; x++) sum[j * dim + x] += points[i * dim + x];
        }
        for (int j = 0; j < k; j++) {
            if (n[j] == 0) continue;
            for (int x = 0; x < dim; x++) c[j * dim + x] = (float) (sum[j * dim + x] / n[j]);
        }
    }

    static double distance2(float[] a, int aOff, float[] b, int bOff, int dim) {
        double s = 0;
        for (int i = 0; i < dim; i++) {
            double d = (double) a[aOff + i] - b[bOff + i];
            s += d * d;
        }
        return s;
    }
}
