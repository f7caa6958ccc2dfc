package dev.dwjava.train.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress bar with throughput and ETA on stderr: redrawn in place on a terminal, one line per tenth of the work
 * otherwise (logs stay short). The same format as {@code dw test}'s.
 */
final class ProgressBar {
    private final PrintStream out;
    private final int total;
    private final long start = System.nanoTime();
    private final boolean live = System.console() != null;
    private int done;

    ProgressBar(PrintStream out, int total) {
        this.out = out;
        this.total = total;
    }

    /** One more item done. */
    void step() {
        done++;
        if (out == null || total <= 0) {
            return;
        }
        if (live || done == total || 10 * done / total != 10 * (done - 1) / total) {
            double secs = (System.nanoTime() - start) / 1e9, rate = done / Math.max(1e-9, secs);
            out.printf(Locale.ROOT, "%s[%-30s] %d/%d, %.1f img/s, ETA %.0f s ", live ? "\r" : "\n", "=".repeat(30 * done / total),
                    done, total, rate, (total - done) / rate);
            if (done == total) {
                out.println();
            }
            out.flush();
        }
    }
}
