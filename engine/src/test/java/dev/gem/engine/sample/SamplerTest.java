package dev.gem.engine.sample;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The sampler's filters against a naive reference, and its statistics against the distribution it should draw from. */
class SamplerTest {
    static float[] logits(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] l = new float[n];
        for (int i = 0; i < n; i++) l[i] = (float) (r.nextGaussian() * 3);
        return l;
    }

    /** The distribution llama.cpp's chain (top-k, top-p, min-p, temperature) leaves, computed the slow obvious way. */
    static double[] reference(float[] logits, int topK, float topP, float minP, float temp) {
        int n = logits.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> logits[a] != logits[b] ? Float.compare(logits[b], logits[a]) : Integer.compare(a, b));
        int keep = topK <= 0 ? n : Math.min(topK, n);
        double max = logits[order[0]];
        double sum = 0;
        for (int i = 0; i < keep; i++) sum += Math.exp(logits[order[i]] - max);
        double cum = 0;
        int pKeep = keep;
        for (int i = 0; i < keep; i++) {
            cum += Math.exp(logits[order[i]] - max) / sum;
            if (cum >= topP) {
                pKeep = i + 1;
                break;
            }
        }
        keep = pKeep;
        int mKeep = 1;
        while (mKeep < keep && logits[order[mKeep]] >= max + Math.log(minP)) mKeep++;
        if (minP > 0) keep = mKeep;
        double[] p = new double[n];
        double z = 0;
        for (int i = 0; i < keep; i++) z += Math.exp((logits[order[i]] - max) / temp);
        for (int i = 0; i < keep; i++) p[order[i]] = Math.exp((logits[order[i]] - max) / temp) / z;
        return p;
    }

    @Test
    void greedyPicksTheFirstMaximum() {
        float[] l = {1f, 5f, 3f, 5f};
        Sampler s = new Sampler(SamplerSettings.greedy());
        assertEquals(1, s.sample(l.clone(), 0, 4));
        assertEquals(2, Sampler.argmax(new float[]{0f, 0f, 9f}, 0, 3));
    }

    @Test
    void drawsFollowTheFilteredDistribution() {
        float[] l = logits(3, 200);
        int[][] settings = {{40, 95, 5, 80}, {0, 100, 0, 100}, {5, 100, 0, 50}, {0, 50, 0, 120}, {0, 100, 20, 100}};
        for (int[] st : settings) {
            int topK = st[0];
            float topP = st[1] / 100f, minP = st[2] / 100f, temp = st[3] / 100f;
            double[] expected = reference(l, topK, topP, minP, temp);
            Sampler s = new Sampler(new SamplerSettings(temp, topK, topP, minP, 1f, 64, 11));
            int draws = 200_000;
            int[] counts = new int[l.length];
            for (int i = 0; i < draws; i++) counts[s.sample(l.clone(), 0, l.length)]++;
            for (int t = 0; t < l.length; t++) {
                double p = expected[t];
                if (p == 0) {
                    assertEquals(0, counts[t], "token " + t + " was filtered out but drawn, settings " + Arrays.toString(st));
                } else {
                    // 5 standard deviations of a binomial count
                    double sd = Math.sqrt(draws * p * (1 - p));
                    assertEquals(draws * p, counts[t], 5 * sd + 1, "token " + t + ", settings " + Arrays.toString(st));
                }
            }
        }
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogits() {
        float[] l = {2f, -2f, 1.9f, 0.5f};
        Sampler s = new Sampler(new SamplerSettings(0f, 40, 1f, 0f, 2f, 64, 1));
        s.accept(0);
        s.accept(1);
        float[] copy = l.clone();
        // token 0 (2.0) becomes 1.0 and token 1 (-2.0) becomes -4.0, so greedy now picks token 2 (1.9)
        assertEquals(2, s.sample(copy, 0, 4));
        assertEquals(1f, copy[0]);
        assertEquals(-4f, copy[1]);
    }

    @Test
    void sameSeedSameDraws() {
        float[] l = logits(5, 100);
        Sampler a = new Sampler(SamplerSettings.defaults().withSeed(9));
        Sampler b = new Sampler(SamplerSettings.defaults().withSeed(9));
        for (int i = 0; i < 100; i++) assertEquals(a.sample(l.clone(), 0, 100), b.sample(l.clone(), 0, 100));
    }

    @Test
    void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new SamplerSettings(0.8f, 40, 0f, 0.05f, 1f, 64, 1));
        assertThrows(IllegalArgumentException.class, () -> new SamplerSettings(0.8f, 40, 0.9f, 1.5f, 1f, 64, 1));
        assertThrows(IllegalArgumentException.class, () -> new SamplerSettings(0.8f, 40, 0.9f, 0.05f, 0f, 64, 1));
        assertThrows(IllegalArgumentException.class, () -> new SamplerSettings(Float.NaN, 40, 0.9f, 0.05f, 1f, 64, 1));
    }
}
