package io.rawio.cli;

import io.rawio.bench.fio.FioRunner;
import io.rawio.bench.job.JobSpec;
import io.rawio.bench.job.JobValidator;
import io.rawio.bench.job.RwMode;
import io.rawio.bench.job.Units;
import io.rawio.bench.metrics.JobResult;
import io.rawio.bench.report.CsvReport;
import io.rawio.bench.report.FioJson;
import io.rawio.bench.report.TextReport;
import io.rawio.bench.report.VsFio;
import io.rawio.bench.run.BenchException;
import io.rawio.bench.run.JobRunner;
import io.rawio.bench.run.ProgressListener;
import io.rawio.bench.run.TerminalProgress;
import io.rawio.engine.SyncMode;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rawio bench}: an fio-class job on one or more engines, side by side. */
@Command(name = "bench", sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "Measure a storage I/O job on one or more engines, side by side, with fio's option names.",
            "",
            "With no options: 4 KiB random reads, O_DIRECT, iodepth 32, 10 s on each of psync,"
                    + " filechannel, uring and uring-fixed, on a 1 GiB scratch file rawio-bench.dat in the"
                    + " current directory (created, filled, and removed afterwards unless --keep).",
            ""},
        footer = {"", "Examples:",
            "  rawio bench",
            "  rawio bench --engine=psync,uring --rw=randwrite --bs=16k --iodepth=8 --runtime=5s",
            "  rawio bench --engine=uring --vs-fio --output-format=json --output=result.json",
            "  rawio bench --engine=uring-cmd --filename=/dev/ng0n1 --vs-fio",
            "Exit status: 0 done, 1 the job failed, 2 bad options."})
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--filename", paramLabel = "PATH",
            description = "File or block device, or an NVMe generic device /dev/ngXnY for --engine=uring-cmd"
                    + " (default: a scratch file rawio-bench.dat in the current directory)",
            defaultValue = "")
    String filename;

    @Option(names = "--size", paramLabel = "SIZE", defaultValue = "1g",
            description = "Region of the file to use; k/m/g suffixes (default: ${DEFAULT-VALUE})")
    String size;

    @Option(names = "--rw", paramLabel = "MODE", defaultValue = "randread",
            description = "read, write, randread, randwrite, randrw, rw (default: ${DEFAULT-VALUE})")
    String rw;

    @Option(names = "--rwmixread", paramLabel = "PCT", defaultValue = "50",
            description = "Percentage of reads for randrw/rw (default: ${DEFAULT-VALUE})")
    int rwmixread;

    @Option(names = "--bs", paramLabel = "SIZE", defaultValue = "4k",
            description = "Block size (default: ${DEFAULT-VALUE})")
    String bs;

    @Option(names = "--iodepth", paramLabel = "N", defaultValue = "32",
            description = "Operations in flight per job (default: ${DEFAULT-VALUE})")
    int iodepth;

    @Option(names = "--numjobs", paramLabel = "N", defaultValue = "1",
            description = "Threads, each with its own batch (default: ${DEFAULT-VALUE})")
    int numjobs;

    @Option(names = "--engine", paramLabel = "E[,E...]", defaultValue = "psync,filechannel,uring,uring-fixed",
            description = "Engines to run in turn: psync, pvsync, filechannel, mmap, uring, uring-fixed, asyncchannel, libaio, posixaio;"
                    + " uring-cmd (NVMe passthrough) alone, on a --filename=/dev/ngXnY"
                    + " (default: ${DEFAULT-VALUE})")
    String engine;

    @Option(names = "--direct", paramLabel = "0|1", defaultValue = "1", arity = "0..1", fallbackValue = "1",
            description = "O_DIRECT (default: ${DEFAULT-VALUE})")
    String direct;

    @Option(names = "--sync", paramLabel = "MODE", defaultValue = "none",
            description = "none, sync (O_SYNC) or dsync (O_DSYNC) (default: ${DEFAULT-VALUE})")
    String sync;

    @Option(names = "--fsync", paramLabel = "N", defaultValue = "0", description = "fsync after every N writes")
    int fsync;

    @Option(names = "--fdatasync", paramLabel = "N", defaultValue = "0",
            description = "fdatasync after every N writes")
    int fdatasync;

    @Option(names = "--runtime", paramLabel = "TIME",
            description = "Run time per engine, e.g. 10s, 500ms (default: 10s)")
    String runtime;

    @Option(names = "--ramp_time", paramLabel = "TIME", defaultValue = "0",
            description = "Run this long before measuring")
    String rampTime;

    @Option(names = "--time_based", paramLabel = "0|1", arity = "0..1", fallbackValue = "1", defaultValue = "1",
            description = "Loop over the file until the runtime is up (default: ${DEFAULT-VALUE});"
                    + " 0: stop after --size bytes per job")
    String timeBased;

    @Option(names = "--rate_iops", paramLabel = "N", defaultValue = "0",
            description = "Per-job target IOPS, open loop; latency corrected for coordinated omission")
    long rateIops;

    @Option(names = {"--iodepth_batch_submit", "--iodepth_batch"}, paramLabel = "N", defaultValue = "1",
            description = "Operations per submission call for uring/uring-fixed/libaio, as in fio (default: ${DEFAULT-VALUE});"
                    + " 0: a whole batch in one io_uring_enter/io_submit")
    int iodepthBatchSubmit;

    @Option(names = "--output-format", paramLabel = "FMT", defaultValue = "text",
            description = "text, json (fio's structure) or csv (default: ${DEFAULT-VALUE})")
    String outputFormat;

    @Option(names = "--output", paramLabel = "FILE", description = "Write the report here instead of stdout")
    Path output;

    @Option(names = "--keep", description = "Keep the scratch file afterwards")
    boolean keep;

    @Option(names = "--allow-device-write",
            description = "Allow a job that writes to a block device (destroys its data)")
    boolean allowDeviceWrite;

    @Option(names = "--vs-fio", description = "Run the same job with fio, alternately, and print the median ratios")
    boolean vsFio;

    @Option(names = "--pairs", paramLabel = "N", defaultValue = "3",
            description = "rawio/fio pairs per engine with --vs-fio (default: ${DEFAULT-VALUE})")
    int pairs;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help")
    boolean help;

    /** Parses the options into a job; throws BadJobException for a value that makes no sense. */
    JobSpec job() {
        long sizeBytes = parse("--size", () -> Units.parseSize(size));
        long bsBytes = parse("--bs", () -> Units.parseSize(bs));
        if (bsBytes > Integer.MAX_VALUE) {
            throw new JobValidator.BadJobException("bs too large: bs=" + bs);
        }
        long runtimeNs = 10_000_000_000L;
        if (runtime != null) {
            runtimeNs = parse("--runtime", () -> Units.parseDurationNs(runtime));
            if (runtimeNs <= 0) {
                throw new JobValidator.BadJobException("runtime must be positive: --runtime=" + runtime);
            }
        }
        long rampNs = parse("--ramp_time", () -> Units.parseDurationNs(rampTime));
        boolean tb = parse("--time_based", () -> Units.parseFlag(timeBased));
        if (!tb && runtime == null) {
            runtimeNs = 0;
        }
        SyncMode syncMode = switch (sync.toLowerCase(Locale.ROOT)) {
            case "none", "0" -> SyncMode.NONE;
            case "sync", "1" -> SyncMode.SYNC;
            case "dsync" -> SyncMode.DSYNC;
            default -> throw new JobValidator.BadJobException("unknown --sync: " + sync + " (none, sync, dsync)");
        };
        RwMode mode = parse("--rw", () -> RwMode.parse(rw));
        List<String> engines = Arrays.stream(engine.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        return new JobSpec(filename.isEmpty() ? null : Path.of(filename), sizeBytes, mode, rwmixread, (int) bsBytes,
                iodepth, numjobs, engines, parse("--direct", () -> Units.parseFlag(direct)), syncMode, fsync, fdatasync,
                runtimeNs, rampNs, tb, rateIops, keep, allowDeviceWrite, iodepthBatchSubmit);
    }

    private static <T> T parse(String option, java.util.function.Supplier<T> f) {
        try {
            return f.get();
        } catch (JobValidator.BadJobException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new JobValidator.BadJobException("invalid " + option + ": " + e.getMessage());
        }
    }

    @Override
    public Integer call() {
        PrintStream err = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true,
                StandardCharsets.UTF_8);
        JobSpec job;
        try {
            job = job();
            if (!List.of("text", "json", "csv").contains(outputFormat)) {
                throw new JobValidator.BadJobException("unknown --output-format: " + outputFormat + " (text, json, csv)");
            }
            if (vsFio && pairs < 1) {
                throw new JobValidator.BadJobException("--pairs must be at least 1");
            }
            JobValidator.validate(job);
            if (vsFio && FioRunner.version().isEmpty()) {
                throw new JobValidator.BadJobException("--vs-fio needs fio on PATH (apt-get install fio)");
            }
        } catch (JobValidator.BadJobException e) {
            spec.commandLine().getErr().println("rawio bench: " + e.getMessage());
            return 2;
        }
        ProgressListener progress = isTerminal() ? new TerminalProgress(err) : ProgressListener.NONE;
        try {
            if (vsFio) {
                return runVsFio(job, progress);
            }
            List<JobResult> results = JobRunner.runAll(job, progress);
            report(results);
            return 0;
        } catch (BenchException e) {
            spec.commandLine().getErr().println("rawio bench: " + e.getMessage());
            return 1;
        }
    }

    private int runVsFio(JobSpec job, ProgressListener progress) {
        VsFio.Outcome outcome = VsFio.run(job, pairs, version(), progress);
        try (PrintWriter out = openOutput()) {
            if (outputFormat.equals("json")) {
                out.println(VsFio.toJson(outcome, version()).toPrettyString());
            } else {
                out.println("job: " + job.describe() + " file=" + job.path());
                VsFio.print(outcome.pairs(), out);
            }
        }
        return 0;
    }

    private void report(List<JobResult> results) {
        try (PrintWriter out = openOutput()) {
            switch (outputFormat) {
                case "json" -> out.println(FioJson.toJson(results, version()).toPrettyString());
                case "csv" -> CsvReport.print(results, out);
                default -> TextReport.print(results, out);
            }
        }
    }

    private PrintWriter openOutput() {
        if (output == null) {
            return new PrintWriter(spec.commandLine().getOut(), true) {
                @Override
                public void close() {
                    flush();
                }
            };
        }
        try {
            return new PrintWriter(new java.io.OutputStreamWriter(new FileOutputStream(output.toFile()),
                    StandardCharsets.UTF_8), true);
        } catch (IOException e) {
            throw new BenchException("cannot write --output " + output + ": " + e.getMessage());
        }
    }

    static String version() {
        String v = BenchCommand.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    private static boolean isTerminal() {
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }
}
