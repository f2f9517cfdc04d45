package io.rawio.bench.run;

import java.io.PrintStream;
import java.util.Locale;

/** A live line on a terminal (stderr): the file layout, then engine, elapsed time and current IOPS. */
public final class TerminalProgress implements ProgressListener {
    private final PrintStream err;
    private boolean dirty;

    public TerminalProgress(PrintStream err) {
        this.err = err;
    }

    @Override
    public void layout(long done, long total) {
        err.printf(Locale.ROOT, "\rlaying out file: %d/%d MiB   ", done >> 20, total >> 20);
        dirty = true;
        if (done >= total) {
            err.print("\r\033[K");
            dirty = false;
        }
    }

    @Override
    public void progress(String engine, long elapsedNs, long runtimeNs, double iops) {
        String of = runtimeNs > 0 ? String.format(Locale.ROOT, "/%ds", runtimeNs / 1_000_000_000L) : "";
        err.printf(Locale.ROOT, "\r%-12s %3ds%s  %,.0f IOPS   ", engine, elapsedNs / 1_000_000_000L, of, iops);
        dirty = true;
    }

    @Override
    public void done() {
        if (dirty) {
            err.print("\r\033[K");
            dirty = false;
        }
    }
}
