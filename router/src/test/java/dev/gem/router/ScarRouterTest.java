package dev.gem.router;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.*;

class ScarRouterTest {
    static float[] scores(SplittableRandom r, int n) {
        float[] s = new float[n];
        for (int i = 0; i < n; i++) s[i] = (float) (r.nextGaussian() * 2);
        return s;
    }

    /** SCAR's definition, written the slow obvious way in double precision. */
    static int[] naive(float[] logits, Gating g, ScarSettings st, double[] weightsOut, boolean normalize, float scale) {
        int n = logits.length;
        double[] p = new double[n];
        for (int i = 0; i < n; i++) p[i] = logits[i] / st.temperature();
        if (g == Gating.SOFTMAX) {
            double max = Arrays.stream(p).max().orElseThrow(), sum = 0;
            for (int i = 0; i < n; i++) sum += p[i] = Math.exp(p[i] - max);
            for (int i = 0; i < n; i++) p[i] /= sum;
        } else {
            for (int i = 0; i < n; i++) p[i] = 1 / (1 + Math.exp(-p[i]));
        }
        double total = Arrays.stream(p).sum();
        Integer[] order = IntStream.range(0, n).boxed().sorted(Comparator.comparingDouble((Integer i) -> -p[i]).thenComparingInt(i -> i)).toArray(Integer[]::new);
        int k = st.kMax();
        if (st.kMin() < st.kMax()) {
            double cum = 0;
            for (int i = 0; i < st.kMax(); i++) {
                cum += p[order[i]];
                if (cum >= st.tau() * total) {
                    k = Math.max(st.kMin(), i + 1);
                    break;
                }
            }
        }
        int[] chosen = new int[k];
        double sum = 0;
        for (int i = 0; i < k; i++) {
            chosen[i] = order[i];
            sum += p[order[i]];
        }
        for (int i = 0; i < k; i++) weightsOut[i] = p[order[i]] / (normalize ? sum : 1) * scale;
        return chosen;
    }

    @ParameterizedTest(name = "{0} normalize={1}")
    @CsvSource({"SOFTMAX, true", "SOFTMAX, false", "SIGMOID, true", "SIGMOID, false"})
    void fixedKIsExactlyTheStandardRouter(Gating g, boolean normalize) {
        SplittableRandom r = new SplittableRandom(1);
        for (int trial = 0; trial < 2000; trial++) {
            int n = 4 + r.nextInt(60), k = 1 + r.nextInt(Math.min(8, n));
            float[] s = scores(r, n);
            ExpertChoice a = new ExpertChoice(n), b = new ExpertChoice(n);
            new TopKRouter(g, k, normalize, 1.5f).route(s.clone(), 0, n, a);
            new ScarRouter(g, normalize, 1.5f, ScarSettings.fixed(k), null).route(s.clone(), 0, n, b);
            assertEquals(a.count, b.count);
            for (int i = 0; i < a.count; i++) {
                assertEquals(a.experts[i], b.experts[i]);
                assertEquals(Float.floatToIntBits(a.weights[i]), Float.floatToIntBits(b.weights[i]), "bit-identical weights");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"SOFTMAX", "SIGMOID"})
    void variableKFollowsTheDefinition(Gating g) {
        SplittableRandom r = new SplittableRandom(2);
        for (int trial = 0; trial < 3000; trial++) {
            int n = 8 + r.nextInt(56);
            int kMax = 1 + r.nextInt(Math.min(n, 12)), kMin = 1 + r.nextInt(kMax);
            ScarSettings st = new ScarSettings(0.05f + 0.95f * (float) r.nextDouble(), kMin, kMax, 0.5f + 2f * (float) r.nextDouble());
            float[] s = scores(r, n);
            double[] w = new double[n];
            int[] expect = naive(s, g, st, w, true, 1f);
            ExpertChoice out = new ExpertChoice(n);
            RoutingStats stats = new RoutingStats(n);
            new ScarRouter(g, true, 1f, st, stats).route(s.clone(), 0, n, out);
            assertEquals(expect.length, out.count, "k for " + st);
            assertTrue(out.count >= kMin && out.count <= kMax);
            for (int i = 0; i < out.count; i++) {
                assertEquals(expect[i], out.experts[i]);
                assertEquals(w[i], out.weights[i], 1e-5);
            }
            assertEquals(1, stats.decisions());
            assertEquals(out.count, stats.meanExperts());
        }
    }

    @Test
    void aConfidentRouterUsesOneExpertAndAnUnsureOneUsesMore() {
        ScarSettings st = new ScarSettings(0.9f, 1, 4, 1f);
        ExpertChoice out = new ExpertChoice(8);
        RoutingStats stats = new RoutingStats(8);
        ScarRouter scar = new ScarRouter(Gating.SOFTMAX, true, 1f, st, stats);
        scar.route(new float[]{10f, 0f, 0f, 0f, 0f, 0f, 0f, 0f}, 0, 8, out);
        assertEquals(1, out.count);
        assertEquals(1f, out.weights[0]);
        scar.route(new float[]{1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f}, 0, 8, out);
        assertEquals(4, out.count, "uniform scores need more than k-max experts to reach 0.9, so k-max");
        assertEquals(2.5, stats.meanExperts());
        assertArrayEquals(new long[]{0, 1, 0, 0, 1, 0, 0, 0, 0}, stats.histogram());
        assertTrue(stats.summary().contains("k=1: 50%"));
    }

    @Test
    void settingsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> new ScarSettings(0f, 1, 2, 1f));
        assertThrows(IllegalArgumentException.class, () -> new ScarSettings(0.5f, 0, 2, 1f));
        assertThrows(IllegalArgumentException.class, () -> new ScarSettings(0.5f, 3, 2, 1f));
        assertThrows(IllegalArgumentException.class, () -> new ScarSettings(0.5f, 1, 2, 0f));
        assertThrows(IllegalArgumentException.class, () -> new ScarRouter(Gating.SOFTMAX, true, 1f, new ScarSettings(0.5f, 1, 9, 1f), null)
                .route(new float[8], 0, 8, new ExpertChoice(9)));
    }
}
