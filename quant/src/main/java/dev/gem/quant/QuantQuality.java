package dev.gem.quant;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * How far a reconstruction is from the values it stands for: the measures precision plans compare formats by.
 *
 * @param count         number of values compared
 * @param rmse          root of the mean squared difference
 * @param maxAbsError   largest absolute difference
 * @param relativeError ‖original − reconstructed‖₂ / ‖original‖₂; 0 when both are zero, infinite when only the
 *                      original is zero. Scale-free, so rows of different magnitude can be ranked together.
 */
public record QuantQuality(int count, double rmse, double maxAbsError, double relativeError) {

    /** Compares {@code n} values of {@code original} with {@code reconstructed}; NaN anywhere makes the measures NaN. */
    public static QuantQuality of(float[] original, int origOff, float[] reconstructed, int recOff, int n) {
        double sumErr2 = 0, sumOrig2 = 0, maxAbs = 0;
        for (int i = 0; i < n; i++) {
            double x = original[origOff + i];
            double e = reconstructed[recOff + i] - x;
            sumErr2 += e * e;
            sumOrig2 += x * x;
            maxAbs = Math.max(maxAbs, Math.abs(e));
        }
        double rmse = n == 0 ? 0 : Math.sqrt(sumErr2 / n);
        double rel = sumOrig2 > 0 ? Math.sqrt(sumErr2 / sumOrig2) : sumErr2 == 0 ? 0 : sumErr2 > 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        return new QuantQuality(n, rmse, maxAbs, rel);
    }

    public static QuantQuality of(float[] original, float[] reconstructed) {
        if (original.length != reconstructed.length)
            throw new IllegalArgumentException("lengths differ: " + original.length + " vs " + reconstructed.length);
        return of(original, 0, reconstructed, 0, original.length);
    }

    /** The error {@code codec} makes on {@code n} values of {@code row}: quantize, dequantize, compare. */
    public static QuantQuality ofRoundTrip(BlockCodec codec, float[] row, int off, int n) {
        return of(row, off, roundTrip(codec, row, off, n), 0, n);
    }

    public static QuantQuality ofRoundTrip(BlockCodec codec, float[] row) {
        return ofRoundTrip(codec, row, 0, row.length);
    }

    /** What {@code codec} gives back for {@code n} values of {@code row}. */
    public static float[] roundTrip(BlockCodec codec, float[] row, int off, int n) {
        float[] back = new float[n];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment q = arena.allocate(Math.max(1, codec.type().bytesFor(n)));
            codec.quantize(row, off, q, 0, n);
            codec.dequantize(q, 0, back, 0, n);
        }
        return back;
    }

    /** Signal-to-noise ratio in decibels, −20·log10(relativeError): about 6 dB per bit of a uniform quantizer. */
    public double snrDb() {
        return -20 * Math.log10(relativeError);
    }
}
