package dev.gem.router;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class KMeansTest {
    /** Three well-separated blobs of 40 points in 8 dimensions, shuffled. */
    static float[] blobs(long seed, int[] labels) {
        SplittableRandom rng = new SplittableRandom(seed);
        int dim = 8, n = labels.length;
        float[] p = new float[n * dim];
        for (int i = 0; i < n; i++) {
            int c = rng.nextInt(3);
            labels[i] = c;
            for (int x = 0; x < dim; x++) p[i * dim + x] = (x == c ? 20f : 0f) + (float) rng.nextGaussian();
        }
        return p;
    }

    @Test
    void recoversSeparatedClustersAndConvergesToAFixedPoint() {
        int[] labels = new int[120];
        float[] p = blobs(3, labels);
        KMeans.Result r = KMeans.fit(p, 120, 8, 3, 42, 100);
        // same cluster <=> same label, whatever the numbering
        for (int i = 0; i < 120; i++)
            for (int j = 0; j < 120; j++)
                assertEquals(labels[i] == labels[j], r.assignment()[i] == r.assignment()[j], "points " + i + ", " + j);
        assertTrue(r.iterations() < 100, "converged");
        // a fixed point: every centre is the mean of its points, and every point is nearest its own centre
        for (int j = 0; j < 3; j++) {
            double[] mean = new double[8];
            int n = 0;
            for (int i = 0; i < 120; i++) {
                if (r.assignment()[i] != j) continue;
                n++;
                for (int x = 0; x < 8; x++) mean[x] += p[i * 8 + x];
            }
            for (int x = 0; x < 8; x++) assertEquals(mean[x] / n, r.centroids()[j * 8 + x], 1e-4);
        }
        for (int i = 0; i < 120; i++) assertEquals(r.assignment()[i], KMeans.nearest(p, i * 8, r.centroids(), 3, 8));
    }

    @Test
    void sameInputAndSeedGiveTheSameCentres() {
        float[] p = blobs(9, new int[60]);
        float[] a = KMeans.fit(p, 60, 8, 4, 7, 50).centroids();
        float[] b = KMeans.fit(p.clone(), 60, 8, 4, 7, 50).centroids();
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, KMeans.fit(p, 60, 8, 4, 8, 50).centroids()) && Arrays.equals(a, KMeans.fit(p, 60, 8, 4, 1234, 50).centroids()),
                "the seed is used");
    }

    @Test
    void rejectsImpossibleRequests() {
        float[] p = new float[4 * 2];
        assertThrows(IllegalArgumentException.class, () -> KMeans.fit(p, 4, 2, 5, 1, 10), "more clusters than points");
        assertThrows(IllegalArgumentException.class, () -> KMeans.fit(p, 4, 2, 2, 1, 10), "all points equal: one distinct point");
        assertThrows(IllegalArgumentException.class, () -> KMeans.fit(p, 0, 2, 1, 1, 10));
    }
}
