package io.rawio.cli;

import io.rawio.bench.lab.Lab;
import io.rawio.bench.lab.LabContext;
import io.rawio.bench.lab.LabReport;
import io.rawio.bench.lab.LabResult;
import io.rawio.bench.lab.Labs;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rawio lab}: the classic low-latency I/O experiments, measured, explained and plotted. */
@Command(name = "lab", description = {
    "Run a classic low-latency I/O experiment on this machine, measured and explained.",
    "Prints a table and what it shows, and writes a report (index.html, charts as PNG, result.json) to --out."},
        footer = {"", "Examples:", "  rawio lab --list", "  rawio lab buffer-size --quick", "  rawio lab all --quick",
            "  rawio lab multiplex    select, poll, epoll, io_uring and busy polling with 100 to 10,000 idle connections",
            "  rawio lab servers      prefork, thread per connection, thread pool, epoll and io_uring servers under load",
            "  rawio lab vectored     readv/writev vs read/write loops vs preadv2; RWF_NOWAIT, RWF_HIPRI, RWF_DSYNC",
            "  rawio lab filesystems  ext4 vs XFS vs btrfs on loop devices (root; mkfs.xfs, mkfs.btrfs when installed)",
            "  rawio lab schedulers   none, mq-deadline, kyber, bfq on a loop device (root)",
            "  rawio lab hugepages    hugetlb 2 MiB pages and THP vs 4 KiB pages (root)",
            "filesystems, schedulers and hugepages create loop devices over files in --dir, mount, switch and reserve",
            "only what they created, and undo it at the end, also on failure or Ctrl-C; without root they say so.",
            "multiplex and servers use loopback only, raise RLIMIT_NOFILE as far as allowed (and say what they got),",
            "and start helper JVMs: the idle connections' client ends, the server processes.",
            "Exit status: 0 done, 1 a lab failed, 2 bad arguments."})
public final class LabCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "A lab (see --list), or 'all'")
    String name;

    @Option(names = "--list", description = "List the labs, one line each")
    boolean list;

    @Option(names = "--quick", description = "About 15 s on small sizes instead of about 2 minutes")
    boolean quick;

    @Option(names = "--out", paramLabel = "DIR", description = "Report directory (default: ./rawio-lab/NAME)")
    Path out;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = ".",
            description = "Directory for the labs' scratch files (default: the current directory)")
    Path dir;

    @Option(names = "--size", paramLabel = "SIZE",
            description = "Largest file for the labs that vary file size (mmap: 1 MiB up to SIZE; scan: the log's size,"
                    + " its streaming window 64 MiB or an eighth of it)")
    String size;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help")
    boolean help;

    @Override
    public Integer call() {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter e = spec.commandLine().getErr();
        if (list) {
            for (Lab l : Labs.all()) {
                o.printf(Locale.ROOT, "%-12s %s%n", l.name(), l.summary());
            }
            o.flush();
            return 0;
        }
        if (name == null) {
            e.println("rawio lab: a lab name is required (rawio lab --list shows them)");
            return 2;
        }
        List<Lab> labs;
        if (name.equals("all")) {
            labs = Labs.all();
        } else {
            var lab = Labs.byName(name);
            if (lab.isEmpty()) {
                e.println("rawio lab: unknown lab: " + name + " (known: "
                        + String.join(", ", Labs.all().stream().map(Lab::name).toList()) + ", all)");
                return 2;
            }
            labs = List.of(lab.get());
        }
        long sizeBytes = 0;
        if (size != null) {
            try {
                sizeBytes = io.rawio.bench.job.Units.parseSize(size);
            } catch (IllegalArgumentException ex) {
                e.println("rawio lab: invalid --size: " + ex.getMessage());
                return 2;
            }
            if (sizeBytes < (1 << 20)) {
                e.println("rawio lab: --size must be at least 1m: --size=" + size);
                return 2;
            }
        }
        if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
            e.println("rawio lab: not a writable directory: " + dir);
            return 2;
        }
        java.io.Console console = System.console();
        PrintStream progress = console != null && console.isTerminal() ? System.err : null;
        int failed = 0;
        for (Lab lab : labs) {
            Path reportDir = out == null ? Path.of("rawio-lab", lab.name()) : labs.size() > 1 ? out.resolve(lab.name()) : out;
            try {
                LabResult r = lab.run(new LabContext(dir, quick, progress, sizeBytes));
                LabReport.print(r, o);
                Path page = LabReport.write(r, reportDir);
                o.println("report: " + page);
                o.println();
                o.flush();
            } catch (IOException | RuntimeException ex) {
                failed++;
                e.println("rawio lab " + lab.name() + ": " + Main.oneLine(ex));
            }
        }
        return failed == 0 ? 0 : 1;
    }
}
