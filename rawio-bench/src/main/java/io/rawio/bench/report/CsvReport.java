package io.rawio.bench.report;

import io.rawio.bench.metrics.JobResult;
import io.rawio.bench.metrics.LatencyStats;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/** One CSV row per engine, with a header. */
public final class CsvReport {
    public static final String HEADER = "engine,rw,bs,iodepth,numjobs,direct,iops,bw_bytes,clat_p50_ns,clat_p99_ns,"
            + "clat_p99_9_ns,clat_max_ns,cpu_us_per_io,syscalls_per_io,usr_cpu,sys_cpu,ctx,dev_read_ios,dev_write_ios";

    private CsvReport() {
    }

    public static void print(List<JobResult> results, PrintWriter out) {
        out.println(HEADER);
        for (JobResult r : results) {
            LatencyStats c = r.clatAll();
            var s = r.spec();
            out.println(String.format(Locale.ROOT, "%s,%s,%d,%d,%d,%d,%.1f,%.0f,%d,%d,%d,%d,%.3f,%.3f,%.2f,%.2f,%d,%s,%s",
                    r.engine(), s.rw().fioName(), s.bs(), s.iodepth(), s.numjobs(), s.direct() ? 1 : 0, r.iops(),
                    r.bandwidth(), c.percentile(50), c.percentile(99), c.percentile(99.9), c.max(), r.cpuUsPerIo(),
                    r.syscallsPerIo(), r.usrCpuPercent(), r.sysCpuPercent(), r.contextSwitches(),
                    r.device().map(d -> String.valueOf(d.readIos())).orElse(""),
                    r.device().map(d -> String.valueOf(d.writeIos())).orElse("")));
        }
    }
}
