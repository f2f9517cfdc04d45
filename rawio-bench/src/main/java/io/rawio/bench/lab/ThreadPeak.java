package io.rawio.bench.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The most threads this process had while it was open, sampled from /proc/self/task every few
 * milliseconds: how a lab shows the threads an engine starts behind the caller's back (glibc's POSIX
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
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    /** Threads of this process now, or -1. */
    static int count() {
        try (Stream<Path> s = Files.list(TASKS)) {
            return (int) s.count();
        } catch (IOException | RuntimeException e) {
            return -1;
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
