package dev.gem.quant;

import dev.gem.tensor.DType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class QuantQualityTest {
    @Test
    void measuresAHandComputedDifference() {
        float[] x = {3, -4, 0, 0};
        float[] y = {3, -4, 1, -1};
        QuantQuality q = QuantQuality.of(x, y);
        assertEquals(4, q.count());
        assertEquals(Math.sqrt(2 / 4.0), q.rmse(), 1e-15);      // errors 0,0,1,1
        assertEquals(1, q.maxAbsError());
        assertEquals(Math.sqrt(2) / 5, q.relativeError(), 1e-15); // ‖e‖ = √2, ‖x‖ = 5
        assertEquals(-20 * Math.log10(Math.sqrt(2) / 5), q.snrDb(), 1e-12);
    }

    @Test
    void zeroOriginalGivesZeroOrInfiniteRelativeError() {
        assertEquals(0, QuantQuality.of(new float[3], new float[3]).relativeError());
        assertEquals(Double.POSITIVE_INFINITY, QuantQuality.of(new float[3], new float[] {0, 1, 0}).relativeError());
    }

    @Test
    void nanInTheReconstructionIsNotHidden() {
        QuantQuality q = QuantQuality.of(new float[] {1, 2}, new float[] {1, Float.NaN});
        assertTrue(Double.isNaN(q.rmse()));
        assertTrue(Double.isNaN(q.maxAbsError()));
    }

    @Test
    void roundTripMeasuresTheCodecsError() {
        // Q8_0 of blocks that start with 127 (so d = 1 exactly): even positions hold integers, which are exact;
        // odd positions hold k + 0.5, which roundf moves by 0.5. Half the values are off by 0.5: rmse = √(0.25/2).
        float[] x = new float[64];
        for (int i = 0; i < 64; i++) x[i] = i % 32 == 0 ? 127 : i % 2 == 0 ? i % 32 : i % 32 + 0.5f;
        QuantQuality q = QuantQuality.ofRoundTrip(new Q8_0Codec(), x);
        assertEquals(0.5, q.maxAbsError());
        assertEquals(Math.sqrt(0.25 / 2), q.rmse(), 1e-12);
        assertEquals(64, q.count());
    }

    @Test
    void offsetsSelectTheRange() {
        float[] x = {100, 1, 2, 100};
        float[] y = {0, 1, 2.5f, 0};
        QuantQuality q = QuantQuality.of(x, 1, y, 1, 2);
        assertEquals(0.5, q.maxAbsError());
        assertEquals(2, q.count());
    }

    @Test
    void formatsRankByTheirBitsOnGaussianWeights() {
        // Each extra bit per weight roughly halves a quantizer's error (about 6 dB), so formats a bit or more apart
        // must be strictly ordered; within a tier the order depends on block layout and is not asserted. A codec
        // that misplaces quants or scales lands far outside its tier.
        List<List<DType>> tiers = List.of(
                List.of(DType.Q2_K),
                List.of(DType.Q3_K),
                List.of(DType.Q4_0, DType.Q4_1, DType.Q4_K, DType.IQ4_NL, DType.IQ4_XS, DType.MXFP4),
                List.of(DType.Q5_0, DType.Q5_1, DType.Q5_K),
                List.of(DType.Q6_K),
                List.of(DType.Q8_0, DType.Q8_1, DType.Q8_K),
                List.of(DType.BF16),
                List.of(DType.F16),
                List.of(DType.F32));
        float[] x = CodecTesting.gaussian(5, 256 * 64, 1);
        double previousBest = Double.POSITIVE_INFINITY;
        for (List<DType> tier : tiers) {
            double worst = 0, best = Double.POSITIVE_INFINITY;
            for (DType t : tier) {
                double e = QuantQuality.ofRoundTrip(Codecs.of(t), x).relativeError();
                worst = Math.max(worst, e);
                best = Math.min(best, e);
            }
            assertTrue(worst < previousBest, tier + " has relative error " + worst + ", not below the tier before (" + previousBest + ")");
            previousBest = best;
        }
        assertEquals(0, previousBest);
    }
}
