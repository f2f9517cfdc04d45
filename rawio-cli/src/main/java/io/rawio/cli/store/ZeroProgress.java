package io.rawio.cli.store;

import io.rawio.bench.job.Units;
import io.rawio.store.FormatProgress;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Prints how far the zero fill has come on stderr, once a second, after its first second (and its end,
 * once it printed): a format of many GiB is not a silent wait.
 */
public final class ZeroProgress implements FormatProgress {
    private final PrintWriter err;
    private final String who;
    private final java.util.function.LongSupplier nanoTime;
    private final long start;
    private long lastPrint;
    private boolean printed;

    ZeroProgress(PrintWriter err) {
        this(err, "rawio store format");
    }

    /** {@code who}: the command its lines begin with. */
    public ZeroProgress(PrintWriter err, String who) {
        this(err, who, System::nanoTime);
    }

    ZeroProgress(PrintWriter err, String who, java.util.function.LongSupplier nanoTime) {
        this.err = err;
        this.who = who;
        this.nanoTime = nanoTime;
        this.start = nanoTime.getAsLong();
        this.lastPrint = start;
    }

    @Override
    public void written(long done, long total) {
        long now = nanoTime.getAsLong();
        boolean last = done >= total;
        if ((now - lastPrint >= 1_000_000_000L && !last) || (last && printed)) {
            lastPrint = now;
            printed = true;
            err.printf(Locale.ROOT, "%s: writing zeros: %s of %s (%d%%), %.1f s%n", who,
                    Units.formatSize(done), Units.formatSize(total), done * 100 / Math.max(1, total),
                    (now - start) / 1e9);
            err.flush();
        }
    }
}
