package io.rawio.bench.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The most threads this process had while it was open, the JVM's own left out, sampled from
 * /proc/self/task every 20 ms: how a lab shows the threads an engine starts behind the caller's back (glibc's POSIX
 * AIO, the JDK's AsynchronousFileChannel pool). -1 where /proc is not there.
 */
final class ThreadPeak implements AutoCloseable {
    private static final Path TASKS = Path.of("/proc/self/task");
    private final Thread sampler;
    private volatile boolean stop;
    private volatile int peak;

    ThreadPeak() {
        peak = count();
        sampler = Thread.ofPlatform().daemon().name("rawio-thread-peak").start(() -> {
            while (!stop) {
                int n = count();
                if (n > peak) {
                    peak = n;
                }
                try {
                    Thread.sleep(20); // engine threads live for the run: a coarse sample sees them
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    /** Names (their start, as /proc/self/task/N/comm shows them) of the JVM's own threads, not counted. */
    private static final java.util.List<String> JVM_THREADS = java.util.List.of("C1 CompilerThre", "C2 CompilerThre",
            "GC Thread", "G1 ", "VM ", "Signal Dispatch", "Reference Handl", "Finalizer", "Common-Cleaner",
            "Notification Th", "Attach Listener", "Sweeper thread", "JFR ", "Monitor Deflati", "Service Thread");

    /** Threads of this process now, the JVM's own (compiler, GC, ...) left out; or -1. */
    static int count() {
        try (Stream<Path> s = Files.list(TASKS)) {
            return (int) s.filter(t -> !jvmThread(t)).count();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * {@link #count()} once it has stopped changing for 1.1 s (at most 3 s): glibc's POSIX AIO threads
     * outlive their last request by a second, so a count taken right after one run of it includes
     * threads the next run then reuses, and that run would seem to start none.
     */
    static int settledCount() {
        int last = count();
        long deadline = System.nanoTime() + 3_000_000_000L;
        long stableSince = System.nanoTime();
        while (System.nanoTime() < deadline && System.nanoTime() - stableSince < 1_100_000_000L) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            int n = count();
            if (n != last) {
                last = n;
                stableSince = System.nanoTime();
            }
        }
        return last;
    }

    private static boolean jvmThread(Path task) {
        try {
            String comm = Files.readString(task.resolve("comm")).strip();
            return JVM_THREADS.stream().anyMatch(comm::startsWith);
        } catch (IOException | RuntimeException e) {
            return false; // gone meanwhile, or unreadable: counted
        }
    }

    /** The peak so far (the sampler thread itself included). */
    int peak() {
        return peak;
    }

    @Override
    public void close() {
        stop = true;
        try {
            sampler.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
