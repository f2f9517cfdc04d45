package io.rawio.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The outside programs tests run (redis-cli, redis-benchmark, python3, nutcracker): found, and run bounded. */
final class Tools {
    static final Path PYTHON = Path.of("/usr/bin/python3");

    private Tools() {
    }

    /** Whether {@code tool} is an executable on PATH (or /usr/sbin, where Debian puts nutcracker). */
    static boolean onPath(String tool) {
        for (String d : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Runs a process to its end, stdin closed, output and errors together; killed and failed after
     * {@code seconds}. Returns its exit status and output.
     */
    static String[] exec(List<String> command, long seconds) throws IOException, InterruptedException {
        Path out = Files.createTempFile("rawio-tool", ".out");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            p.getOutputStream().close();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("did not finish in " + seconds + " s: " + command + "\n"
                        + Files.readString(out, StandardCharsets.UTF_8));
            }
            return new String[] {Integer.toString(p.exitValue()), Files.readString(out, StandardCharsets.UTF_8)};
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** Same, up to 120 s. */
    static String[] exec(List<String> command) throws IOException, InterruptedException {
        return exec(command, 120);
    }
}
