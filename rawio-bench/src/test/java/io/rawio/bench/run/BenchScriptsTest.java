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
 * The server benchmark scripts (rawio-bench/scripts) refuse a bad count with one line on stderr and
 * exit 2, before they start anything or look for redis-benchmark.
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
    @CsvSource({"serve-ab.sh", "serve-vs-redis.sh", "serve-loops.sh", "serve-cluster.sh", "serve-cold-get.sh",
        "serve-zero-copy.sh"})
    @Timeout(60)
    void helpSaysHowToRunIt(String script) throws Exception {
        Run r = run(script, "--help");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.stdout().contains("--rounds"), r.stdout());
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
}
