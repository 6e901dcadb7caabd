package dev.gem.router;

import java.util.Arrays;
import java.util.BitSet;

/**
 * The Dynamic Token Router's cheap path through a model: a subset of its layers. Either an early exit (run layers
 * [0, exitLayer), then the final norm and output head) or a set of skipped layers. The same weights, fewer of them read.
 *
 * @param layers     the model's layer count
 * @param skipped    layers the cheap path does not run (an early exit at L skips L .. layers-1)
 */
public record CheapPath(int layers, BitSet skipped) {
    public CheapPath {
        if (layers < 1) throw new IllegalArgumentException("a model has at least one layer");
        if (skipped.length() > layers) throw new IllegalArgumentException("skipped layer " + (skipped.length() - 1) + " of a " + layers + "-layer model");
        if (skipped.cardinality() >= layers) throw new IllegalArgumentException("the cheap path must run at least one layer");
        skipped = (BitSet) skipped.clone();
    }

    /** Exit after the first {@code exitLayer} layers. */
    public static CheapPath earlyExit(int layers, int exitLayer) {
        if (exitLayer < 1 || exitLayer >= layers)
            throw new IllegalArgumentException("exit layer " + exitLayer + " must be between 1 and " + (layers - 1));
        BitSet s = new BitSet(layers);
        s.set(exitLayer, layers);
        return new CheapPath(layers, s);
    }

    /** Skip the given layers. */
    public static CheapPath skipping(int layers, int... skip) {
        BitSet s = new BitSet(layers);
        for (int l : skip) {
            if (l < 0 || l >= layers) throw new IllegalArgumentException("layer " + l + " does not exist in a " + layers + "-layer model");
            s.set(l);
        }
        return new CheapPath(layers, s);
    }

    /** Parses "exit:6" or "skip:3,5,7" (the form GEM files and the command line use). */
    public static CheapPath parse(String spec, int layers) {
        String s = spec.trim();
        if (s.startsWith("exit:")) return earlyExit(layers, Integer.parseInt(s.substring(5).trim()));
        if (s.startsWith("skip:"))
            return skipping(layers, Arrays.stream(s.substring(5).split(",")).map(String::trim).filter(x -> !x.isEmpty())
                    .mapToInt(Integer::parseInt).toArray());
        throw new IllegalArgumentException("cheap path '" + spec + "' should be exit:L or skip:L1,L2,...");
    }

    /** The first layer of a contiguous tail of skipped layers (an early exit), or -1 when the path skips inside. */
    public int exitLayer() {
        int first = skipped.nextSetBit(0);
        return first >= 0 && skipped.nextClearBit(first) == layers ? first : -1;
    }

    public boolean isEarlyExit() { return exitLayer() >= 0; }

    /** Per layer: true when the cheap path skips it. */
    public boolean[] skipMask() {
        boolean[] m = new boolean[layers];
        for (int l = skipped.nextSetBit(0); l >= 0; l = skipped.nextSetBit(l + 1)) m[l] = true;
        return m;
    }

    /** Fraction of layers the cheap path runs: its cost relative to the full model, roughly. */
    public double depthFraction() {
        return (layers - skipped.cardinality()) / (double) layers;
    }

    @Override
    public String toString() {
        int exit = exitLayer();
        if (exit >= 0) return "exit:" + exit;
        StringBuilder b = new StringBuilder("skip:");
        for (int l = skipped.nextSetBit(0); l >= 0; l = skipped.nextSetBit(l + 1)) {
            if (b.length() > 5) b.append(',');
            b.append(l);
        }
        return b.toString();
    }
}
