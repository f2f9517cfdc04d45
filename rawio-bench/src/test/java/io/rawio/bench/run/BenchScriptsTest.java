package io.rawio.bench.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The benchmark scripts (rawio-bench/scripts) refuse a bad count with one line on stderr and exit 2,
 * before they start anything or look for redis-benchmark; flush-trace.sh reads a kept trace as it reads
 * one it records.
 */
class BenchScriptsTest {
    private static final Path SCRIPTS = Path.of("scripts");

    private record Run(int exit, String stdout, List<String> stderr) {
    }

    private static Run run(String script, String... args) throws IOException, InterruptedException {
        Path s = SCRIPTS.resolve(script);
        assumeTrue(Files.isRegularFile(s), () -> "no script " + s.toAbsolutePath());
        List<String> cmd = new ArrayList<>(List.of("bash", s.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError(script + " " + List.of(args) + " did not return at once");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.exitValue(), out, err.lines().toList());
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
        "serve-ab.sh|--rounds=0|--rounds",
        "serve-ab.sh|--rounds=x|--rounds",
        "serve-ab.sh|--warmup=-1|--warmup",
        "serve-ab.sh|--dir=/nonexistent/dir|not a writable directory",
        "serve-vs-redis.sh|--rounds=|--rounds",
        "serve-vs-redis.sh|--warmup=two|--warmup",
        "serve-vs-redis.sh|--dir=/nonexistent/dir|not a writable directory",
        "serve-loops.sh|--warmup=1.5|--warmup",
        "serve-loops.sh|--rounds=-3|--rounds",
        "serve-cluster.sh|--nodes=0|--nodes",
        "serve-cluster.sh|--rounds=a|--rounds",
        "serve-cold-get.sh|--keys=1e5|--keys",
        "serve-cold-get.sh|--depth=0|--depth",
        "serve-zero-copy.sh|--sizes=64k|--sizes",
        "serve-zero-copy.sh|--keys=|--keys",
        "flush-trace.sh|--seconds=0|--seconds",
        "flush-trace.sh|--seconds=11|--seconds",
        "flush-trace.sh|--seconds=x|--seconds",
        "flush-trace.sh|--from=|--from",
        "flush-trace.sh|--keep=|--keep",
    })
    @Timeout(60)
    void aBadCountIsOneLineAndExit2(String script, String option, String named) throws Exception {
        Run r = run(script, option);
        assertEquals(2, r.exit(), () -> script + " " + option + ": " + r);
        assertEquals(1, r.stderr().size(), () -> "one line: " + r.stderr());
        assertTrue(r.stderr().getFirst().contains(named), r.stderr().getFirst());
        assertEquals("", r.stdout(), "nothing started");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {"serve-ab.sh|--rounds", "serve-vs-redis.sh|--rounds",
        "serve-loops.sh|--rounds", "serve-cluster.sh|--rounds", "serve-cold-get.sh|--rounds",
        "serve-zero-copy.sh|--rounds", "flush-trace.sh|--seconds"})
    @Timeout(60)
    void helpSaysHowToRunIt(String script, String option) throws Exception {
        Run r = run(script, "--help");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.stdout().contains(option), r.stdout());
        // Exactly the comment block at the head of the script, without its '#': no line of code.
        List<String> head = new ArrayList<>();
        List<String> lines = Files.readAllLines(SCRIPTS.resolve(script));
        for (String line : lines.subList(1, lines.size())) {
            if (!line.startsWith("#")) {
                break;
            }
            head.add(line.replaceFirst("^# ?", ""));
        }
        assertEquals(head, r.stdout().lines().toList());
    }

    /** One line of a block trace as tracefs prints it, at {@code ms} milliseconds. */
    private static String line(double ms, String event, String rest) {
        return String.format(java.util.Locale.ROOT, "            java-1     [000] ..... %.6f: %s: %s", 100 + ms / 1000,
                event, rest);
    }

    /**
     * A trace of known flushes: after 1, 2 and 3 MB written they take 0.7, 1.2 and 1.7 ms (0.2 ms + 0.5 ms
     * per MB), one after no write 0.05 ms; another device's requests, and the empty completion a flush
     * leaves, are not counted.
     */
    @org.junit.jupiter.api.Test
    @Timeout(60)
    void aKeptTraceGivesTheFlushesCostAndHowBusyTheDiskWas(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        List<String> t = new ArrayList<>();
        t.add("# tracer: nop");
        double[][] writes = {{0, 0.5, 1_000_000, 0.5, 1.2}, {2, 3, 2_000_000, 3, 4.2}, {6, 7, 3_000_000, 7, 8.7}};
        for (double[] w : writes) {
            t.add(line(w[0], "block_rq_issue", "254,0 WS " + (long) w[2] + " () 1000 + " + (long) w[2] / 512 + " be,0,4 [java]"));
            t.add(line(w[0] + 0.1, "block_rq_issue", "8,0 WS 4096 () 8 + 8 be,0,4 [other]"));
            t.add(line(w[1], "block_rq_complete", "254,0 WS () 1000 + " + (long) w[2] / 512 + " be,0,4 [0]"));
            t.add(line(w[3], "block_rq_issue", "254,0 FF 0 () 0 + 0 none,0,0 [kworker/0:1H]"));
            t.add(line(w[4], "block_rq_complete", "254,0 FF () 18446744073709551615 + 0 none,0,0 [0]"));
            t.add(line(w[4], "block_rq_complete", "254,0 WS () 0 + 0 be,0,4 [0]"));
            if (w[0] == 2) {
                t.add(line(5, "block_rq_issue", "254,0 FF 0 () 0 + 0 none,0,0 [kworker/0:1H]"));
                t.add(line(5.05, "block_rq_complete", "254,0 FF () 18446744073709551615 + 0 none,0,0 [0]"));
            }
        }
        t.add(line(10, "block_rq_issue", "8,0 WS 4096 () 8 + 8 be,0,4 [other]"));
        Path trace = dir.resolve("trace.txt");
        Files.write(trace, t);

        Run r = run("flush-trace.sh", "--from=" + trace, "254:0");
        assertEquals(0, r.exit(), r::toString);
        // Busy: writes 2.5 ms and flushes 3.65 ms of the 8.7 ms from the first request to the last.
        assertEquals(List.of(
                "8.7 ms from the first request to the last: 3 writes, 6.0 MB; the disk had a write or a flush in flight 71% of the time, a flush 42%",
                "1 flushes after no write: 0.050 ms each on average",
                "3 flushes after writes (2000 KB on average): 0.200 ms + 0.500 ms per MB written since the flush before"),
                r.stdout().lines().toList());

        Run other = run("flush-trace.sh", "--from=" + trace, "9:9");
        assertEquals(1, other.exit(), other::toString);
        assertEquals(List.of("flush-trace: no requests of the device in the trace"), other.stderr());
        Run byName = run("flush-trace.sh", "--from=" + trace, "vda");
        assertEquals(2, byName.exit(), byName::toString);
        assertEquals(1, byName.stderr().size(), byName::toString);
        Run keepToo = run("flush-trace.sh", "--from=" + trace, "--keep=" + dir.resolve("again.txt"), "254:0");
        assertEquals(2, keepToo.exit(), keepToo::toString);
        assertEquals(List.of("flush-trace: --keep goes with a recording, not with --from"), keepToo.stderr());
    }
}
