package dev.gem.engine.cli;

import java.io.PrintWriter;

/**
 * A one-line progress bar on standard error for long work (writing, quantizing). On a terminal it redraws in place;
 * when standard error is a file or pipe it prints a line at every tenth of the way, so logs stay readable.
 */
final class ProgressBar {
    private final PrintWriter err;
    private final String what;
    private final long total;
    private final boolean terminal = System.console() != null;
    private final long start = System.nanoTime();
    private long done;
    private int lastTenth = -1;

    ProgressBar(PrintWriter err, String what, long total) {
        this.err = err;
        this.what = what;
        this.total = Math.max(1, total);
    }

    void step(String item) {
        done++;
        int tenth = (int) (done * 10 / total);
        double secs = (System.nanoTime() - start) / 1e9;
        if (terminal) {
            int width = 30, fill = (int) (done * width / total);
            err.printf("\r%s [%s%s] %d/%d %.1fs %-40.40s", what, "#".repeat(fill), " ".repeat(width - fill), done, total, secs, item);
            if (done == total) err.println();
            err.flush();
        } else if (tenth != lastTenth || done == total) {
            lastTenth = tenth;
            err.printf("%s: %d/%d (%d%%) %.1fs %s%n", what, done, total, done * 100 / total, secs, item);
            err.flush();
        }
    }
}
