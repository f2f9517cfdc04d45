package io.rawio.bench.lab;

import io.rawio.nativeio.LinuxConstants;
import io.rawio.nativeio.Mman;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.OpenFlag;
import io.rawio.nativeio.Procfs;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Watches, while a lab's step runs, this process's resident memory (VmRSS in /proc/self/status) and how
 * much of one file is in the page cache (mincore over a mapping of it that is never touched, so it adds
 * nothing resident), every 10 ms on its own thread; keeps the peaks.
 */
final class MemoryWatch implements AutoCloseable {
    private static final Path STATUS = Path.of("/proc/self/status");
    private final Thread thread;
    private final long baselineRssBytes;
    private volatile boolean stop;
    private volatile long peakRssBytes;
    private volatile long peakCachedBytes;
    private volatile String failure;

    private MemoryWatch(Path file) {
        baselineRssBytes = rssBytes();
        peakRssBytes = baselineRssBytes;
        thread = Thread.ofPlatform().daemon().name("rawio-memory-watch").start(() -> watch(file));
    }

    /** Starts watching; {@code file} is the one whose cached pages are counted. */
    static MemoryWatch start(Path file) {
        return new MemoryWatch(file);
    }

    private void watch(Path file) {
        try (NativeFile f = NativeFile.open(file, OpenFlag.RDONLY); Arena a = Arena.ofConfined()) {
            long size = f.size();
            MemorySegment m = size == 0 ? null : Mman.map(a, f, 0, size, LinuxConstants.PROT_READ, LinuxConstants.MAP_SHARED);
            do {
                peakRssBytes = Math.max(peakRssBytes, rssBytes());
                if (m != null) {
                    peakCachedBytes = Math.max(peakCachedBytes, Mman.residentPages(m) * LinuxConstants.DEFAULT_ALIGNMENT);
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            } while (!stop);
        } catch (IOException | RuntimeException e) {
            failure = e.getMessage();
        }
    }

    /** Stops watching (and takes one last sample). */
    @Override
    public void close() {
        stop = true;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The highest VmRSS seen minus VmRSS when watching started: what the step added. */
    long peakRssGrowthBytes() {
        return Math.max(0, peakRssBytes - baselineRssBytes);
    }

    long peakCachedBytes() {
        return peakCachedBytes;
    }

    /** Why watching stopped early, or null. */
    String failure() {
        return failure;
    }

    static long rssBytes() {
        try {
            return vmRssBytes(Procfs.read(STATUS));
        } catch (IOException e) {
            return 0;
        }
    }

    /** VmRSS of a /proc/PID/status text in bytes, 0 when absent. */
    static long vmRssBytes(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("VmRSS:")) {
                String[] f = line.substring(6).trim().split("\\s+");
                return Long.parseLong(f[0]) * 1024;
            }
        }
        return 0;
    }
}
