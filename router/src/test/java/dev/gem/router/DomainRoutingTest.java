package dev.gem.router;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The domain rule and both score sources against naive references written from the definitions. */
class DomainRoutingTest {
    /** softmax, argmax (first of equals), threshold: written out plainly in doubles. */
    static int naiveDecision(double[] scores, double tau, double[] pOut) {
        double max = Double.NEGATIVE_INFINITY;
        for (double s : scores) max = Math.max(max, s);
        double z = 0;
        for (double s : scores) z += Math.exp(s - max);
        int best = 0;
        for (int d = 0; d < scores.length; d++) {
            pOut[d] = Math.exp(scores[d] - max) / z;
            if (pOut[d] > pOut[best]) best = d;
        }
        return pOut[best] > tau ? best : -1;
    }

    static double[] naiveCentroidScores(float[] h, float[][][] centroidsByDomain) {
        double[] s = new double[centroidsByDomain.length];
        for (int d = 0; d < s.length; d++) {
            s[d] = Double.NEGATIVE_INFINITY;
            for (float[] c : centroidsByDomain[d]) {
                double dot = 0;
                for (int i = 0; i < h.length; i++) dot += (double) h[i] * c[i];
                s[d] = Math.max(s[d], dot / Math.sqrt(h.length));
            }
        }
        return s;
    }

    @Test
    void centroidRoutingMatchesTheNaiveRuleOnRandomStates() {
        SplittableRandom rng = new SplittableRandom(11);
        int dim = 24;
        int[] counts = {3, 1, 2};
        float[][][] byDomain = new float[counts.length][][];
        float[] flat = new float[6 * dim];
        int row = 0;
        for (int d = 0; d < counts.length; d++) {
            byDomain[d] = new float[counts[d]][dim];
            for (int j = 0; j < counts[d]; j++, row++)
                for (int i = 0; i < dim; i++) flat[row * dim + i] = byDomain[d][j][i] = (float) rng.nextGaussian() * 2;
        }
        DomainGate gate = new DomainGate(new CentroidScorer(dim, flat, counts), 0.65f);
        int general = 0, routed = 0;
        for (int t = 0; t < 500; t++) {
            float[] h = new float[dim + 3];
            for (int i = 0; i < h.length; i++) h[i] = (float) rng.nextGaussian();
            float[] state = java.util.Arrays.copyOfRange(h, 3, 3 + dim);
            double[] pRef = new double[3];
            int expected = naiveDecision(naiveCentroidScores(state, byDomain), 0.65, pRef);
            float[] p = new float[3];
            int got = gate.decide(h, 3, p);
            assertEquals(expected, got, "token " + t);
            for (int d = 0; d < 3; d++) assertEquals(pRef[d], p[d], 1e-6, "p of domain " + d);
            if (got < 0) general++;
            else routed++;
        }
        assertTrue(general > 20 && routed > 20, "the random states exercise both outcomes: " + general + " general, " + routed + " routed");
    }

    @Test
    void linearRoutingMatchesTheNaiveRule() {
        SplittableRandom rng = new SplittableRandom(5);
        int dim = 16, domains = 4;
        float[] w = new float[domains * dim];
        float[] b = new float[domains];
        for (int i = 0; i < w.length; i++) w[i] = (float) rng.nextGaussian() * 0.5f;
        for (int d = 0; d < domains; d++) b[d] = (float) rng.nextGaussian();
        DomainGate gate = new DomainGate(new LinearScorer(dim, w, b), 0.5f);
        for (int t = 0; t < 200; t++) {
            float[] h = new float[dim];
            for (int i = 0; i < dim; i++) h[i] = (float) rng.nextGaussian();
            double[] s = new double[domains];
            for (int d = 0; d < domains; d++) {
                double dot = b[d];
                for (int i = 0; i < dim; i++) dot += (double) w[d * dim + i] * h[i];
                s[d] = dot;
            }
            double[] pRef = new double[domains];
            assertEquals(naiveDecision(s, 0.5, pRef), gate.decide(h, 0, new float[domains]), "token " + t);
        }
    }

    @Test
    void thresholdIsStrictAndTiesGoToTheLowerDomain() {
        // two equal scores: p = 0.5 each; domain 0 wins the tie, and 0.5 must exceed tau
        DomainGate low = new DomainGate(new LinearScorer(1, new float[]{1, 1}, null), 0.49f);
        assertEquals(0, low.decide(new float[]{3}, 0, new float[2]));
        DomainGate exact = new DomainGate(new LinearScorer(1, new float[]{1, 1}, null), 0.5f);
        assertEquals(DomainGate.GENERAL, exact.decide(new float[]{3}, 0, new float[2]), "max p equal to tau is not above it");
        assertThrows(IllegalArgumentException.class, () -> new DomainGate(exact.scorer(), 1f));
        assertThrows(IllegalArgumentException.class, () -> new DomainGate(exact.scorer(), -0.1f));
    }

    @Test
    void scorersRejectInconsistentShapes() {
        assertThrows(IllegalArgumentException.class, () -> new CentroidScorer(4, new float[7], new int[]{2}));
        assertThrows(IllegalArgumentException.class, () -> new CentroidScorer(4, new float[8], new int[]{2, 0}));
        assertThrows(IllegalArgumentException.class, () -> new LinearScorer(4, new float[6], null));
        assertThrows(IllegalArgumentException.class, () -> new LinearScorer(4, new float[8], new float[3]));
    }
}
