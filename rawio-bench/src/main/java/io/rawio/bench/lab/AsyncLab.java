package io.rawio.bench.lab;

import io.rawio.bench.job.JobSpec;
import io.rawio.bench.job.RwMode;
import io.rawio.bench.metrics.JobResult;
import io.rawio.bench.run.JobRunner;
import io.rawio.bench.run.ProgressListener;
import io.rawio.bench.run.Target;
import io.rawio.engine.IoEngines;
import io.rawio.engine.SyncMode;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One random-read load (4 KiB, O_DIRECT) through the async I/O models a JVM program can use: psync on
 * 1 and N threads, FileChannel on N threads, AsynchronousFileChannel, and io_uring at queue depths 1 to
 * 128. IOPS, completion latency and CPU per I/O; the chart is latency against throughput.
 */
public final class AsyncLab implements Lab {
    @Override
    public String name() {
        return "async";
    }

    @Override
    public String summary() {
        return "random reads through psync (1 and N threads), FileChannel (N threads), AsynchronousFileChannel "
                + "and io_uring at QD 1..128: IOPS, latency, CPU per I/O";
    }

    private record Config(String label, String engine, int iodepth, int numjobs) {
    }

    @Override
    public LabResult run(LabContext ctx) throws IOException {
        boolean quick = ctx.quick();
        int threads = quick ? 8 : 32;
        long runtimeNs = (quick ? 1 : 6) * 1_000_000_000L;
        long size = quick ? 64L << 20 : 1L << 30;
        List<Config> configs = new ArrayList<>();
        configs.add(new Config("psync, 1 thread", "psync", 1, 1));
        configs.add(new Config("psync, " + threads + " threads", "psync", 1, threads));
        configs.add(new Config("filechannel, " + threads + " threads", "filechannel", 1, threads));
        configs.add(new Config("asyncchannel (AsynchronousFileChannel), QD" + threads, "asyncchannel", threads, 1));
        boolean uring = IoEngines.unavailableReason("uring").isEmpty();
        if (uring) {
            for (int qd : quick ? new int[] {1, 8, 32} : new int[] {1, 2, 4, 8, 16, 32, 64, 128}) {
                configs.add(new Config("uring, QD" + qd, "uring", qd, 1));
            }
        }
        JobSpec base = new JobSpec(ctx.workDir().resolve("rawio-lab-async.dat"), size, RwMode.RANDREAD, 50, 4096, 1,
                1, List.of("psync"), true, SyncMode.NONE, 0, 0, runtimeNs, 0, true, 0, false, false, 1);
        LabResult r = new LabResult(name(), "Async I/O models: one random-read load",
                List.of("model", "IOPS", "clat p50 (us)", "clat p99 (us)", "CPU us/IO (process)"));
        Map<String, List<double[]>> curves = new LinkedHashMap<>();
        List<Map<String, Object>> raw = new ArrayList<>();
        // The job names its file, so Target does not treat it as scratch: the lab removes it.
        try (Target target = Target.prepare(base, ProgressListener.NONE)) {
            for (Config c : configs) {
                ctx.say("async: " + c.label());
                JobSpec spec = base.withDepth(c.iodepth(), c.numjobs(), List.of(c.engine()));
                JobResult res = JobRunner.run(spec, c.engine(), target, ProgressListener.NONE);
                var clat = res.clatAll();
                // Process CPU, not the job threads': AsynchronousFileChannel does its reads on the JDK's
                // pool threads, which the job threads' getrusage would not see.
                double cpu = res.totalIos() == 0 ? 0 : (res.processUsrNs() + res.processSysNs()) / 1e3 / res.totalIos();
                r.row(c.label(), res.iops(), clat.percentile(50) / 1e3, clat.percentile(99) / 1e3, cpu);
                String series = c.engine().equals("uring") ? "uring QD1..N" : c.label();
                curves.computeIfAbsent(series, k -> new ArrayList<>())
                        .add(new double[] {res.iops(), clat.percentile(50) / 1e3});
                raw.add(Map.of("model", c.label(), "engine", c.engine(), "iodepth", c.iodepth(), "numjobs", c.numjobs(),
                        "ios", res.totalIos(), "io_bytes", res.totalBytes(), "iops", res.iops(),
                        "clat_p50_ns", clat.percentile(50), "clat_p99_ns", clat.percentile(99),
                        "cpu_us_per_io_process", cpu));
            }
        } finally {
            Files.deleteIfExists(base.filename());
        }
        List<List<Object>> rows = r.rows();
        r.finding(String.format(Locale.ROOT, "One psync thread: %.0f IOPS at %.0f us. Throughput comes from queue depth:"
                + " %s threads of psync reach %.0f IOPS, FileChannel %.0f.", (double) rows.get(0).get(1),
                (double) rows.get(0).get(2), threads, (double) rows.get(1).get(1), (double) rows.get(2).get(1)));
        if (uring) {
            List<Object> last = rows.getLast();
            r.finding(String.format(Locale.ROOT, "io_uring gets there from one thread: %s reaches %.0f IOPS at %.2f us"
                    + " of CPU per I/O, against %.2f for FileChannel's %d threads.", last.get(0), (double) last.get(1),
                    (double) last.get(4), (double) rows.get(2).get(4), threads));
        } else {
            r.finding("io_uring is unavailable here: " + IoEngines.unavailableReason("uring").orElse(""));
        }
        r.finding("Past the device's own parallelism more depth buys latency, not throughput: the curve turns up.");
        r.chart(new LabResult.Chart("latency-vs-throughput", "Completion latency (p50) against throughput", "IOPS",
                "clat p50 (us)", false, curves));
        r.raw("results", raw);
        return r;
    }
}
