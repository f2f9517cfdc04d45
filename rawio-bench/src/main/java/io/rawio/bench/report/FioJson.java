package io.rawio.bench.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rawio.bench.job.JobSpec;
import io.rawio.bench.job.Units;
import io.rawio.bench.metrics.DeviceStats;
import io.rawio.bench.metrics.DirectionStats;
import io.rawio.bench.metrics.JobResult;
import io.rawio.bench.metrics.LatencyStats;
import java.util.List;
import java.util.Locale;

/**
 * rawio's results in fio's JSON structure and field names (fio's json output, "jobs" array), so a
 * tool that reads fio JSON reads rawio's too. rawio's extras go in a {@code rawio} object per job.
 */
public final class FioJson {
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private FioJson() {
    }

    public static ObjectNode toJson(List<JobResult> results, String version) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("fio version", "rawio-" + version);
        root.put("timestamp", System.currentTimeMillis() / 1000);
        ArrayNode jobs = root.putArray("jobs");
        for (JobResult r : results) {
            jobs.add(job(r));
        }
        return root;
    }

    static ObjectNode job(JobResult r) {
        ObjectNode j = MAPPER.createObjectNode();
        j.put("jobname", r.engine());
        j.put("groupid", 0);
        j.put("error", 0);
        j.put("job_runtime", r.elapsedNs() / 1_000_000);
        ObjectNode opts = j.putObject("job options");
        JobSpec s = r.spec();
        opts.put("rw", s.rw().fioName());
        opts.put("bs", Units.formatSize(s.bs()));
        opts.put("iodepth", String.valueOf(s.iodepth()));
        opts.put("numjobs", String.valueOf(s.numjobs()));
        opts.put("direct", s.direct() ? "1" : "0");
        opts.put("size", Units.formatSize(s.sizeBytes()));
        opts.put("ioengine", r.engine());
        opts.put("filename", s.path().toString());
        if (s.runtimeNs() > 0) {
            opts.put("runtime", Units.formatDuration(s.runtimeNs()));
        }
        j.set("read", direction(r, r.read()));
        j.set("write", direction(r, r.write()));
        j.put("usr_cpu", r.usrCpuPercent());
        j.put("sys_cpu", r.sysCpuPercent());
        j.put("ctx", r.contextSwitches());
        j.put("majf", r.majorFaults());
        j.put("minf", r.minorFaults());

        ObjectNode x = j.putObject("rawio");
        x.put("engine", r.engine());
        x.put("cpu_us_per_io", r.cpuUsPerIo());
        x.put("cpu_source", r.cpuFromProcess() ? "process" : "job threads");
        x.put("syscalls", r.syscalls());
        x.put("syscalls_per_io", r.syscallsPerIo());
        x.put("process_usr_cpu_ns", r.processUsrNs());
        x.put("process_sys_cpu_ns", r.processSysNs());
        x.put("syncs", r.syncs());
        if (r.notice() != null) {
            x.put("notice", r.notice());
        }
        r.device().ifPresent(d -> x.set("device", device(d)));
        return j;
    }

    private static ObjectNode direction(JobResult r, DirectionStats d) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("io_bytes", d.ioBytes);
        o.put("io_kbytes", d.ioBytes / 1024);
        o.put("bw_bytes", (long) r.bandwidth(d));
        o.put("bw", (long) (r.bandwidth(d) / 1024));
        o.put("iops", r.iops(d));
        o.put("runtime", r.elapsedNs() / 1_000_000);
        o.put("total_ios", d.totalIos);
        o.put("short_ios", d.shortIos);
        o.put("drop_ios", 0);
        o.set("slat_ns", latency(d.slat, false));
        o.set("clat_ns", latency(d.clat, true));
        o.set("lat_ns", latency(d.lat, true));
        return o;
    }

    private static ObjectNode latency(LatencyStats l, boolean percentiles) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("min", l.min());
        o.put("max", l.max());
        o.put("mean", l.mean());
        o.put("stddev", l.stddev());
        o.put("N", l.count());
        if (percentiles && l.count() > 0) {
            ObjectNode p = o.putObject("percentile");
            for (double q : LatencyStats.FIO_PERCENTILES) {
                p.put(percentileKey(q), l.percentile(q));
            }
        }
        return o;
    }

    /** fio's key for a percentile: 99 -> "99.000000". */
    public static String percentileKey(double q) {
        return String.format(Locale.ROOT, "%.6f", q);
    }

    private static ObjectNode device(DeviceStats d) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("name", d.device());
        o.put("read_ios", d.readIos());
        o.put("read_merges", d.readMerges());
        o.put("read_sectors", d.readSectors());
        o.put("read_ticks_ms", d.readTicksMs());
        o.put("write_ios", d.writeIos());
        o.put("write_merges", d.writeMerges());
        o.put("write_sectors", d.writeSectors());
        o.put("write_ticks_ms", d.writeTicksMs());
        o.put("flush_ios", d.flushIos());
        o.put("io_ticks_ms", d.ioTicksMs());
        o.put("time_in_queue_ms", d.timeInQueueMs());
        return o;
    }
}
