package io.rawio.bench.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A helper process a lab starts: a JVM of this installation running one of our main classes on this
 * process's class path, spoken to in lines over its stdin and stdout. A JVM cannot fork itself, so work
 * that must run in another process (prefork workers, the other end of many connections) runs here.
 * The child exits when its stdin closes, so it does not outlive the lab; {@link #close} also ends it.
 */
public final class ChildJvm implements AutoCloseable {
    private static final String EOF = "\u0000eof";
    private final Process process;
    private final PrintWriter in;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Deque<String> errTail = new ArrayDeque<>();
    private final String name;

    private ChildJvm(Process process, String name) {
        this.process = process;
        this.name = name;
        this.in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        Thread.ofPlatform().daemon().name("rawio-child-out").start(() -> drain(true));
        Thread.ofPlatform().daemon().name("rawio-child-err").start(() -> drain(false));
    }

    /**
     * Starts {@code mainClass} with {@code jvmOptions} (besides native access and the class path) and
     * {@code args}.
     */
    public static ChildJvm start(String mainClass, List<String> jvmOptions, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).start();
        return new ChildJvm(p, mainClass.substring(mainClass.lastIndexOf('.') + 1) + " " + String.join(" ", args));
    }

    private void drain(boolean stdout) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                stdout ? process.getInputStream() : process.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (stdout) {
                    lines.add(line);
                } else {
                    synchronized (errTail) {
                        errTail.addLast(line);
                        if (errTail.size() > 20) {
                            errTail.removeFirst();
                        }
                    }
                }
            }
        } catch (IOException e) {
            // the process went away: EOF below
        }
        if (stdout) {
            lines.add(EOF);
        }
    }

    /** Sends one line to the child's stdin. */
    public void send(String line) {
        in.println(line);
    }

    /**
     * The next line from the child that starts with {@code prefix} (others are skipped).
     *
     * @throws IOException when the child ends first, says "failed ...", or nothing comes in time
     */
    public String expect(String prefix, long timeoutMs) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true) {
            String line;
            try {
                line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for " + name, e);
            }
            if (line == null) {
                throw new IOException(name + ": no '" + prefix + "' within " + timeoutMs + " ms" + errors());
            }
            if (line.equals(EOF)) {
                lines.add(EOF);
                throw new IOException(name + " ended" + exit() + errors());
            }
            if (line.startsWith("failed")) {
                throw new IOException(name + ": " + line + errors());
            }
            if (line.startsWith(prefix)) {
                return line;
            }
        }
    }

    private String exit() {
        try {
            return process.waitFor(1, TimeUnit.SECONDS) ? " (exit status " + process.exitValue() + ")" : "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private String errors() {
        synchronized (errTail) {
            return errTail.isEmpty() ? "" : "; its stderr: " + String.join(" | ", errTail);
        }
    }

    public long pid() {
        return process.pid();
    }

    /** Closes its stdin (the child exits on that), and ends it if it has not within 5 s. */
    @Override
    public void close() {
        closeAll(List.of(this));
    }

    /** Closes every one's stdin first, then waits for them together: they exit side by side. */
    public static void closeAll(List<ChildJvm> children) {
        for (ChildJvm c : children) {
            c.in.close();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (ChildJvm c : children) {
            try {
                if (!c.process.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    c.process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                c.process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
