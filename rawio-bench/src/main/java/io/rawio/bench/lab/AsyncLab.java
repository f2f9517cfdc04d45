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
 * One random-read load (4 KiB) through the async I/O models a JVM program can use: psync on 1 and N
 * threads, FileChannel on N threads, AsynchronousFileChannel, the kernel's native AIO (libaio), glibc's
 * POSIX AIO, and io_uring at queue depths 1 to 128, all O_DIRECT; then the submitting system call
 * alone (io_submit, io_uring_enter) for one read of a block not in the page cache, buffered and O_DIRECT
 * ({@link SubmitLatency}). IOPS, completion and submission latency, CPU per I/O,
 * and the threads an engine added to the process beyond the job's own (glibc serves POSIX AIO with
 * threads of its own, the JDK AsynchronousFileChannel with a pool); the chart is latency against
 * throughput.
 */
public final class AsyncLab implements Lab {
    @Override
    public String name() {
        return "async";
    }

    @Override
    public String summary() {
        return "random reads through psync (1 and N threads), FileChannel (N threads), AsynchronousFileChannel, "
                + "libaio, posixaio and io_uring at QD 1..128; libaio and io_uring buffered: IOPS, latency, submit "
                + "latency, CPU per I/O, threads";
    }

    private record Config(String label, String engine, int iodepth, int numjobs, boolean direct) {
    }

    /** Where an engine is not available here, why; else null. */
    private static String unavailable(String engine) {
        return IoEngines.unavailableReason(engine).orElse(null);
    }

    @Override
    public LabResult run(LabContext ctx) throws IOException {
        boolean quick = ctx.quick();
        int threads = quick ? 8 : 32;
        int qd = 32;
        long runtimeNs = (quick ? 1 : 6) * 1_000_000_000L;
        long size = quick ? 64L << 20 : 1L << 30;
        List<Config> configs = new ArrayList<>();
        configs.add(new Config("psync, 1 thread", "psync", 1, 1, true));
        configs.add(new Config("psync, " + threads + " threads", "psync", 1, threads, true));
        configs.add(new Config("filechannel, " + threads + " threads", "filechannel", 1, threads, true));
        configs.add(new Config("asyncchannel (AsynchronousFileChannel), QD" + threads, "asyncchannel", threads, 1, true));
        boolean libaio = unavailable("libaio") == null;
        boolean posixaio = unavailable("posixaio") == null;
        boolean uring = unavailable("uring") == null;
        if (libaio) {
            configs.add(new Config("libaio, QD" + qd, "libaio", qd, 1, true));
        }
        if (posixaio) {
            configs.add(new Config("posixaio (glibc), QD" + qd, "posixaio", qd, 1, true));
        }
        if (uring) {
            for (int d : quick ? new int[] {1, 8, 32} : new int[] {1, 2, 4, 8, 16, 32, 64, 128}) {
                configs.add(new Config("uring, QD" + d, "uring", d, 1, true));
            }
        }
        JobSpec base = new JobSpec(ctx.workDir().resolve("rawio-lab-async.dat"), size, RwMode.RANDREAD, 50, 4096, 1,
                1, List.of("psync"), true, SyncMode.NONE, 0, 0, runtimeNs, 0, true, 0, false, false, 1);
        LabResult r = new LabResult(name(), "Async I/O models: one random-read load",
                List.of("model", "IOPS", "clat p50 (us)", "clat p99 (us)", "slat p50 (us)", "CPU us/IO (process)",
                        "engine threads"));
        Map<String, List<double[]>> curves = new LinkedHashMap<>();
        List<Map<String, Object>> raw = new ArrayList<>();
        Map<String, Double> slat = new LinkedHashMap<>();
        Map<String, Integer> added = new LinkedHashMap<>();
        // The job names its file, so Target does not treat it as scratch: the lab removes it.
        try (Target target = Target.prepare(base, ProgressListener.NONE)) {
            for (Config c : configs) {
                ctx.say("async: " + c.label());
                JobSpec spec = base.withDepth(c.iodepth(), c.numjobs(), List.of(c.engine()));
                // POSIX AIO threads of an earlier run linger a second: counted before, reused after.
                int before = c.engine().equals("posixaio") ? ThreadPeak.settledCount() : ThreadPeak.count();
                JobResult res;
                int peak;
                try (ThreadPeak tp = new ThreadPeak()) {
                    res = JobRunner.run(spec, c.engine(), target, ProgressListener.NONE);
                    peak = tp.peak();
                }
                // Less the sampler and the job's own threads: what the engine started.
                int more = before < 0 || peak < 0 ? -1 : Math.max(0, peak - before - 1 - c.numjobs());
                var clat = res.clatAll();
                double slatP50 = res.read().slat.percentile(50) / 1e3;
                // Process CPU, not the job threads': AsynchronousFileChannel and POSIX AIO do their reads
                // on pool threads, which the job threads' getrusage would not see.
                double cpu = res.totalIos() == 0 ? 0 : (res.processUsrNs() + res.processSysNs()) / 1e3 / res.totalIos();
                r.row(c.label(), res.iops(), clat.percentile(50) / 1e3, clat.percentile(99) / 1e3, slatP50, cpu, more);
                added.put(c.label(), more);
                if (c.direct()) {
                    String series = c.engine().equals("uring") ? "uring QD1..N" : c.label();
                    curves.computeIfAbsent(series, k -> new ArrayList<>())
                            .add(new double[] {res.iops(), clat.percentile(50) / 1e3});
                }
                raw.add(Map.ofEntries(Map.entry("model", c.label()), Map.entry("engine", c.engine()),
                        Map.entry("iodepth", c.iodepth()), Map.entry("numjobs", c.numjobs()),
                        Map.entry("direct", c.direct()), Map.entry("ios", res.totalIos()),
                        Map.entry("io_bytes", res.totalBytes()), Map.entry("iops", res.iops()),
                        Map.entry("clat_p50_ns", clat.percentile(50)), Map.entry("clat_p99_ns", clat.percentile(99)),
                        Map.entry("slat_p50_ns", res.read().slat.percentile(50)),
                        Map.entry("cpu_us_per_io_process", cpu), Map.entry("engine_threads", more)));
            }
            // The submitting call alone, one cold 4 KiB read at a time, buffered and O_DIRECT.
            int reads = quick ? 200 : 1000;
            int round = 0;
            for (String engine : new String[] {"libaio", "uring"}) {
                if (unavailable(engine) != null) {
                    continue;
                }
                for (boolean direct : new boolean[] {true, false}) {
                    String label = (engine.equals("libaio") ? "io_submit" : "io_uring_enter") + ", 1 cold read at a time, "
                            + (direct ? "O_DIRECT" : "buffered");
                    ctx.say("async: " + label);
                    SubmitLatency.Result sl = engine.equals("libaio")
                            ? SubmitLatency.libaio(base.filename(), size, direct, reads, round++)
                            : SubmitLatency.uring(base.filename(), size, direct, reads, round++);
                    double p50 = sl.submit().percentile(50) / 1e3;
                    r.row(label, "-", sl.total().percentile(50) / 1e3, sl.total().percentile(99) / 1e3, p50, "-", "-");
                    slat.put(engine + (direct ? "" : "-buffered"), p50);
                    slat.put(engine + (direct ? "" : "-buffered") + "-read", sl.total().percentile(50) / 1e3);
                    raw.add(Map.of("model", label, "engine", engine, "direct", direct, "reads", reads,
                            "submit_p50_ns", sl.submit().percentile(50), "submit_p99_ns", sl.submit().percentile(99),
                            "read_p50_ns", sl.total().percentile(50), "read_p99_ns", sl.total().percentile(99)));
                }
            }
        } finally {
            Files.deleteIfExists(base.filename());
        }
        List<List<Object>> rows = r.rows();
        r.finding(String.format(Locale.ROOT, "One psync thread: %.0f IOPS at %.0f us. Throughput comes from queue depth:"
                + " %s threads of psync reach %.0f IOPS, FileChannel %.0f.", (double) rows.get(0).get(1),
                (double) rows.get(0).get(2), threads, (double) rows.get(1).get(1), (double) rows.get(2).get(1)));
        if (uring) {
            List<Object> last = rows.stream().filter(x -> x.get(0).equals("uring, QD" + (quick ? 32 : 128))).findFirst()
                    .orElseThrow();
            r.finding(String.format(Locale.ROOT, "io_uring gets there from one thread: %s reaches %.0f IOPS at %.2f us"
                    + " of CPU per I/O, against %.2f for FileChannel's %d threads.", last.get(0), (double) last.get(1),
                    (double) last.get(5), (double) rows.get(2).get(5), threads));
        } else {
            r.finding("io_uring is unavailable here: " + unavailable("uring"));
        }
        if (posixaio) {
            double pIops = (double) rows.stream().filter(x -> x.get(0).equals("posixaio (glibc), QD" + qd)).findFirst()
                    .orElseThrow().get(1);
            r.finding(String.format(Locale.ROOT, "POSIX AIO is glibc's threads, not the kernel's: glibc started %d"
                    + " thread(s) in the process for QD%d (AsynchronousFileChannel's pool: %d; libaio and io_uring: %d and %d),"
                    + " and as glibc serves the requests of one file descriptor one at a time, its QD%d gave %.0f IOPS,"
                    + " what one psync thread gives (%.0f).",
                    added.get("posixaio (glibc), QD" + qd), qd, added.get(configs.get(3).label()),
                    added.getOrDefault("libaio, QD" + qd, -1), added.getOrDefault("uring, QD" + qd, -1), qd, pIops,
                    (double) rows.get(0).get(1)));
        } else {
            r.finding("POSIX AIO is unavailable here: " + unavailable("posixaio"));
        }
        if (libaio && uring) {
            r.finding(String.format(Locale.ROOT, "Native AIO is asynchronous only with O_DIRECT: for one 4 KiB read of"
                    + " a block not in the page cache, io_submit itself took %.1f us at the median on the buffered file, of"
                    + " the whole read's %.1f us: it did the read before it returned; with O_DIRECT %.1f of %.1f us."
                    + " io_uring_enter took %.1f us buffered (of %.1f) and %.1f us with O_DIRECT: it does not wait for"
                    + " the disk (a read that misses the cache completes later, from the page's wait queue or an io-wq"
                    + " worker).",
                    slat.get("libaio-buffered"), slat.get("libaio-buffered-read"), slat.get("libaio"),
                    slat.get("libaio-read"), slat.get("uring-buffered"), slat.get("uring-buffered-read"),
                    slat.get("uring")));
        } else {
            r.finding("Submit latency buffered vs O_DIRECT needs libaio and io_uring: "
                    + (libaio ? "" : "libaio: " + unavailable("libaio") + " ") + (uring ? "" : "uring: " + unavailable("uring")));
        }
        r.finding("Past the device's own parallelism more depth buys latency, not throughput: the curve turns up.");
        r.chart(new LabResult.Chart("latency-vs-throughput", "Completion latency (p50) against throughput", "IOPS",
                "clat p50 (us)", false, curves));
        r.raw("results", raw);
        return r;
    }
}
