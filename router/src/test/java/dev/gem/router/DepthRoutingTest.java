package dev.gem.router;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class DepthRoutingTest {
    @Test
    void cheapPathsParseAndDescribeThemselves() {
        CheapPath e = CheapPath.parse("exit:3", 8);
        assertTrue(e.isEarlyExit());
        assertEquals(3, e.exitLayer());
        assertEquals("exit:3", e.toString());
        assertArrayEquals(new boolean[]{false, false, false, true, true, true, true, true}, e.skipMask());
        assertEquals(3 / 8.0, e.depthFraction());
        CheapPath s = CheapPath.parse("skip:1, 5", 8);
        assertFalse(s.isEarlyExit());
        assertEquals("skip:1,5", s.toString());
        assertEquals("exit:6", CheapPath.parse("skip:6,7", 8).toString(), "a skipped tail is an early exit");
        assertThrows(IllegalArgumentException.class, () -> CheapPath.parse("exit:8", 8));
        assertThrows(IllegalArgumentException.class, () -> CheapPath.parse("skip:9", 8));
        assertThrows(IllegalArgumentException.class, () -> CheapPath.parse("skip:0,1", 2));
        assertThrows(IllegalArgumentException.class, () -> CheapPath.parse("half", 8));
    }

    @Test
    void confidenceRulesAgreeWithTheirDefinitions() {
        float[] sure = {10f, 0f, 0f, 0f};
        float[] unsure = {1f, 1f, 1f, 1f};
        Confidence p = new Confidence(Confidence.Kind.MAX_PROBABILITY, 0.9f);
        assertTrue(p.test(sure, 0, 4));
        assertFalse(p.test(unsure, 0, 4));
        Confidence h = new Confidence(Confidence.Kind.ENTROPY, 0.5f);
        assertTrue(h.test(sure, 0, 4));
        assertFalse(h.test(unsure, 0, 4), "uniform over 4 has entropy ln 4 = 1.386 nats");
        assertTrue(new Confidence(Confidence.Kind.ENTROPY, 1.39f).test(unsure, 0, 4));
        assertFalse(new Confidence(Confidence.Kind.ENTROPY, 1.38f).test(unsure, 0, 4));
        assertTrue(new Confidence(Confidence.Kind.MAX_PROBABILITY, 0.25f).test(unsure, 0, 4));
    }

    @Test
    void policyMeasuresPlainFirstThenFallsBackWhenRoundsAreSlower() {
        SpeculationPolicy p = new SpeculationPolicy(4, 0.05, 10);
        assertFalse(p.speculate(0), "no plain timing yet");
        // the first plain steps run cold; the plain time is the last of the warm-up steps
        for (long cold : new long[] {9_000_000, 5_000_000, 3_000_000}) {
            p.plainStep(cold);
            assertFalse(p.speculate(1), "still warming up");
        }
        p.plainStep(1_000_000);
        assertTrue(p.speculate(4));
        // rounds that emit 3 tokens in 2 ms: 0.67 ms per token, faster than plain
        p.round(4, 2, 3, 2_000_000, 4);
        p.round(4, 2, 3, 2_000_000, 7);
        assertEquals(0, p.fallbacks());
        assertTrue(p.speedupEstimate() > 1.4);
        // acceptance collapses: 1 token per 2 ms round, twice as slow as plain
        int i = 0;
        while (p.fallbacks() == 0 && i < 8) p.round(4, 0, 1, 2_000_000, 8 + i++);
        assertEquals(1, p.fallbacks(), "falls back within 8 slow rounds");
        assertFalse(p.speculate(9), "plain decoding for a while after a fallback");
        p.plainStep(1_000_000);
        assertTrue(p.speculate(8 + i + 10), "then it tries again");
        assertEquals((2 + 2) / (4.0 * (2 + i)), p.acceptanceRate(), 1e-9, "4 of the drafts accepted");
        // a probe that fails again waits twice as long, and so on
        p.round(4, 0, 1, 2_000_000, 8 + i + 11);
        assertEquals(2, p.fallbacks());
        assertFalse(p.speculate(8 + i + 11 + 19));
        assertTrue(p.speculate(8 + i + 11 + 20));
    }

    /**
     * Speculation that looks fast only against a cold plain step is caught: plain decoding is measured again every few
     * rounds, and once it is seen to be faster than the rounds, the policy falls back.
     */
    @Test
    void policyKeepsThePlainTimeCurrent() {
        SpeculationPolicy p = new SpeculationPolicy(4, 0.05, 10);
        for (int i = 0; i < SpeculationPolicy.WARMUP_STEPS; i++) p.plainStep(10_000_000); // a slow, cold start
        int emitted = SpeculationPolicy.WARMUP_STEPS, plainSteps = 0;
        for (int step = 0; step < 200; step++) {
            if (p.speculate(emitted)) {
                p.round(4, 1, 2, 2_000_000, emitted += 2); // 1 ms per token
            } else {
                p.plainStep(400_000);                       // once warm, plain is 0.4 ms per token
                emitted++;
                plainSteps++;
            }
        }
        assertTrue(p.fallbacks() > 0, "the rounds are slower than warm plain decoding");
        assertTrue(plainSteps > 140, "most steps decode plainly: " + plainSteps);
    }
}
