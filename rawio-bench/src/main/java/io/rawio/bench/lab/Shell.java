package io.rawio.bench.lab;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The OS tools a root lab runs (losetup, mkfs.*, mount, perf): exit status and output, never a shell. */
public final class Shell {
    private Shell() {
    }

    /** A command's exit status (-1 when it could not start or timed out) and its stdout and stderr together. */
    public record Result(int exit, String output) {
        public boolean ok() {
            return exit == 0;
        }
    }

    public static Result run(String... cmd) {
        return run(120, cmd);
    }

    public static Result run(long timeoutSeconds, String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, String.join(" ", cmd) + ": timed out");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            return new Result(-1, String.join(" ", cmd) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, String.join(" ", cmd) + ": interrupted");
        }
    }

    /** Whether {@code tool} is an executable on PATH or in /sbin, /usr/sbin. */
    public static boolean has(String tool) {
        String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/sbin:/usr/sbin";
        for (String d : path.split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    /** The tools of {@code tools} that are missing. */
    public static List<String> missing(String... tools) {
        return java.util.Arrays.stream(tools).filter(t -> !has(t)).toList();
    }
}
