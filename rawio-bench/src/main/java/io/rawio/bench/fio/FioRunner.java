package io.rawio.bench.fio;

import com.fasterxml.jackson.databind.JsonNode;
import io.rawio.bench.job.JobSpec;
import io.rawio.bench.job.Units;
import io.rawio.bench.report.FioJson;
import io.rawio.bench.report.JobSummary;
import io.rawio.bench.run.BenchException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Runs fio on the same job as rawio, for side-by-side rows. */
public final class FioRunner {
    private FioRunner() {
    }

    /** The fio on PATH and its version, or empty when there is none. */
    public static Optional<String> version() {
        try {
            Process p = new ProcessBuilder("fio", "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? Optional.of(out) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** fio's ioengine for a rawio engine: the closest equivalent. */
    public static String fioEngine(String rawioEngine) {
        return switch (rawioEngine) {
            case "uring", "uring-fixed" -> "io_uring";
            case "uring-cmd" -> "io_uring_cmd";
            case "pvsync" -> "pvsync";
            case "mmap" -> "mmap";
            case "asyncchannel" -> "posixaio";
            case "libaio" -> "libaio";
            case "posixaio" -> "posixaio";
            default -> "psync";
        };
    }

    /** The fio command line for a job on one engine, writing JSON to {@code output}. */
    public static List<String> command(JobSpec job, String engine, Path file, Path output) {
        List<String> c = new ArrayList<>();
        c.add("fio");
        c.add("--name=fio-" + engine);
        c.add("--filename=" + file);
        c.add("--size=" + job.sizeBytes());
        c.add("--rw=" + job.rw().fioName());
        if (job.rw().mixed()) {
            c.add("--rwmixread=" + job.rwmixread());
        }
        c.add("--bs=" + job.bs());
        c.add("--ioengine=" + fioEngine(engine));
        c.add("--iodepth=" + job.iodepth());
        if (job.iodepthBatchSubmit() > 0) {
            c.add("--iodepth_batch_submit=" + job.iodepthBatchSubmit());
        }
        c.add("--numjobs=" + job.numjobs());
        // io_uring_cmd talks to /dev/ngXnY, which has no page cache and refuses O_DIRECT at open.
        c.add("--direct=" + (job.direct() && !engine.equals("uring-cmd") ? 1 : 0));
        switch (job.sync()) {
            case SYNC -> c.add("--sync=sync");
            case DSYNC -> c.add("--sync=dsync");
            case NONE -> { }
        }
        if (job.fsyncEvery() > 0) {
            c.add("--fsync=" + job.fsyncEvery());
        }
        if (job.fdatasyncEvery() > 0) {
            c.add("--fdatasync=" + job.fdatasyncEvery());
        }
        if (job.runtimeNs() > 0) {
            c.add("--runtime=" + Units.formatDuration(job.runtimeNs()));
        }
        if (job.rampNs() > 0) {
            c.add("--ramp_time=" + Units.formatDuration(job.rampNs()));
        }
        if (job.timeBased()) {
            c.add("--time_based");
        }
        if (job.rateIops() > 0) {
            c.add("--rate_iops=" + job.rateIops());
        }
        if (engine.equals("uring-cmd")) {
            c.add("--cmd_type=nvme");
        }
        if (engine.equals("uring-fixed")) {
            c.add("--fixedbufs=1");
            c.add("--registerfiles=1");
        }
        c.add("--thread");
        c.add("--group_reporting");
        c.add("--lat_percentiles=1");
        c.add("--output-format=json");
        c.add("--output=" + output);
        return c;
    }

    /** Runs fio; returns its summary, read by the same reader as rawio's JSON. */
    public static JobSummary run(JobSpec job, String engine, Path file) {
        Path out = null;
        Path logFile = null;
        try {
            out = Files.createTempFile("rawio-fio", ".json");
            logFile = Files.createTempFile("rawio-fio", ".log");
            List<String> cmd = command(job, engine, file, out);
            // fio's messages go to a file, so that the wait below is what bounds a hung fio (reading
            // its stdout would block until fio exits)
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.to(logFile.toFile())).start();
            long timeoutS = 120 + (job.rampNs() + job.runtimeNs()) / 1_000_000_000L * 2;
            if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new BenchException("fio did not finish in " + timeoutS + " s");
            }
            String log = Files.readString(logFile);
            if (p.exitValue() != 0) {
                String first = log.lines().filter(l -> !l.isBlank()).findFirst().orElse("no output");
                throw new BenchException("fio failed (exit " + p.exitValue() + "): " + first);
            }
            JsonNode root = FioJson.MAPPER.readTree(stripNonJson(Files.readString(out)));
            return JobSummary.read(root).getFirst();
        } catch (IOException e) {
            throw new BenchException("cannot run fio: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted while running fio");
        } finally {
            for (Path temp : new Path[] {out, logFile}) {
                if (temp != null) {
                    try {
                        Files.deleteIfExists(temp);
                    } catch (IOException ignored) {
                        // a temp file left behind is harmless
                    }
                }
            }
        }
    }

    /** fio may print notes before the JSON document; keep from the first '{'. */
    static String stripNonJson(String s) {
        int i = s.indexOf('{');
        return i < 0 ? s : s.substring(i);
    }
}
