package dev.gem.router;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLongArray;

/** How many experts tokens got: a histogram over k, its mean, and a one-line summary for the run report. */
public final class RoutingStats {
    private final AtomicLongArray counts;

    public RoutingStats(int maxK) {
        counts = new AtomicLongArray(maxK + 1);
    }

    public void record(int k) {
        counts.incrementAndGet(k);
    }

    public long decisions() {
        long n = 0;
        for (int i = 0; i < counts.length(); i++) n += counts.get(i);
        return n;
    }

    public double meanExperts() {
        long n = 0, sum = 0;
        for (int k = 0; k < counts.length(); k++) {
            n += counts.get(k);
            sum += (long) k * counts.get(k);
        }
        return n == 0 ? 0 : (double) sum / n;
    }

    /** Decisions per number of experts, index = k. */
    public long[] histogram() {
        long[] h = new long[counts.length()];
        for (int i = 0; i < h.length; i++) h[i] = counts.get(i);
        return h;
    }

    public void reset() {
        for (int i = 0; i < counts.length(); i++) counts.set(i, 0);
    }

    /** e.g. "experts/token 2.41 (k=1: 12%, k=2: 40%, k=3: 33%, k=4: 15%)" */
    public String summary() {
        long n = decisions();
        if (n == 0) return "experts/token: no routing decisions";
        StringBuilder b = new StringBuilder(String.format(java.util.Locale.ROOT, "experts/token %.2f (", meanExperts()));
        boolean first = true;
        for (int k = 0; k < counts.length(); k++) {
            long c = counts.get(k);
            if (c == 0) continue;
            if (!first) b.append(", ");
            b.append(String.format(java.util.Locale.ROOT, "k=%d: %.0f%%", k, 100.0 * c / n));
            first = false;
        }
        return b.append(')').toString();
    }

    @Override
    public String toString() {
        return summary() + " " + Arrays.toString(histogram());
    }
}
