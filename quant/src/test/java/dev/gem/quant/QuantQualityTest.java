package dev.gem.quant;

import org.junit.jupiter.api.Test;

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
}
