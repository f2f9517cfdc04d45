package io.rawio.bench.lab;

import io.rawio.nativeio.Procfs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/** The 1-minute load average (/proc/loadavg): whether other work shared the cores while a lab measured. */
public final class LoadAverage {
    private LoadAverage() {
    }

    /** The 1-minute load average now, or -1 where /proc has none. */
    public static double now() {
        try {
            return Double.parseDouble(Procfs.read(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * A sentence for the findings when the load average at the start, or now, was above half the cores
     * (other processes competed for them, and latency tails show it), else null.
     */
    public static String note(double atStart, int cores) {
        double end = now();
        double worst = Math.max(atStart, end);
        if (worst <= cores / 2.0) {
            return null;
        }
        return String.format(Locale.ROOT, "Other work shared the %d cores: the 1-minute load average was %.1f when"
                + " the lab started and %.1f when it ended; the latency tails are the more likely to show it.", cores,
                atStart, end);
    }
}
