package io.rawio.bench.report;

import io.rawio.bench.metrics.JobResult;
import io.rawio.bench.metrics.LatencyStats;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/** The human table: one row per engine, each with its ratio to the first. */
public final class TextReport {
    private TextReport() {
    }

    public static void print(List<JobResult> results, PrintWriter out) {
        if (results.isEmpty()) {
            return;
        }
        out.println("job: " + results.getFirst().spec().describe() + " file=" + results.getFirst().spec().path());
        String header = String.format(Locale.ROOT, "%-12s %10s %10s %9s %9s %9s %9s %8s %8s %10s %9s",
                "engine", "IOPS", "MiB/s", "clat p50", "clat p99", "p99.9", "max", "CPU us", "syscall",
                "dev ios", "x first");
        out.println(header);
        out.println(String.format(Locale.ROOT, "%-12s %10s %10s %9s %9s %9s %9s %8s %8s %10s %9s",
                "", "", "", "(us)", "(us)", "(us)", "(us)", "per I/O", "per I/O", "", "(IOPS)"));
        double first = results.getFirst().iops();
        for (JobResult r : results) {
            LatencyStats clat = r.clatAll();
            String devIos = r.device().map(d -> String.valueOf(d.readIos() + d.writeIos())).orElse("-");
            out.println(String.format(Locale.ROOT, "%-12s %10.0f %10.1f %9.1f %9.1f %9.1f %9.1f %8.2f %8.2f %10s %9.2f",
                    r.engine(), r.iops(), r.bandwidth() / (1 << 20), clat.percentile(50) / 1e3,
                    clat.percentile(99) / 1e3, clat.percentile(99.9) / 1e3, clat.max() / 1e3, r.cpuUsPerIo(),
                    r.syscallsPerIo(), devIos, first == 0 ? 0 : r.iops() / first));
        }
        for (JobResult r : results) {
            if (r.notice() != null) {
                out.println("note: " + r.notice());
            }
            r.device().ifPresent(d -> {
                long asked = r.totalBytes();
                long reached = d.readBytes() + d.writeBytes();
                out.println(String.format(Locale.ROOT,
                        "%s: device %s completed %d reads (%.1f MiB) and %d writes (%.1f MiB), %d flushes,"
                                + " for %.1f MiB asked",
                        r.engine(), d.device(), d.readIos(), d.readBytes() / 1048576.0, d.writeIos(),
                        d.writeBytes() / 1048576.0, d.flushIos(), asked / 1048576.0));
                if (reached == 0 && asked > 0) {
                    out.println("  (nothing reached the device: served from the page cache)");
                }
            });
        }
    }
}
