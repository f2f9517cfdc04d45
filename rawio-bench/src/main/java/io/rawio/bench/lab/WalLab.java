package io.rawio.bench.lab;

import io.rawio.bench.metrics.LatencyStats;
import io.rawio.memory.AlignedMemory;
import io.rawio.nativeio.Iovec;
import io.rawio.nativeio.Libc;
import io.rawio.nativeio.LinuxConstants;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.NativeIoException;
import io.rawio.nativeio.OpenFlag;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A write-ahead log: append-only records, each durable before it is acknowledged, by fsync each,
 * fdatasync each, O_DSYNC, RWF_DSYNC (pwritev2), and group commit (N writers, one fdatasync covering
 * everything appended so far). Commits per second and commit latency.
 */
public final class WalLab implements Lab {
    @Override
    public String name() {
        return "wal";
    }

    @Override
    public String summary() {
        return "append-only records (256 B to 16 KiB) made durable by fsync, fdatasync, O_DSYNC, RWF_DSYNC, "
                + "and group commit with N writers: commits/s and latency";
    }

    enum Mode { FSYNC, FDATASYNC, O_DSYNC, RWF_DSYNC, GROUP_COMMIT }

    @Override
    public LabResult run(LabContext ctx) throws IOException {
        int[] sizes = ctx.quick() ? new int[] {256, 4096} : new int[] {256, 1024, 4096, 16384};
        long durationNs = (ctx.quick() ? 400 : 2500) * 1_000_000L;
        int writers = 4;
        Path log = ctx.workDir().resolve("rawio-lab-wal.log");
        LabResult r = new LabResult(name(), "Write-ahead log: durable appends",
                List.of("mode", "record", "commits/s", "p50 (us)", "p99 (us)", "syncs/commit"));
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        List<Map<String, Object>> raw = new ArrayList<>();
        try {
            for (Mode m : Mode.values()) {
                for (int size : sizes) {
                    ctx.say("wal: " + m + " " + size + " B");
                    Files.deleteIfExists(log);
                    Result res = m == Mode.GROUP_COMMIT ? groupCommit(log, size, durationNs, writers)
                            : single(log, m, size, durationNs);
                    String label = m == Mode.GROUP_COMMIT ? "group commit, " + writers + " writers" : m.name().replace('_', ' ')
                            .toLowerCase(Locale.ROOT).replace("o dsync", "O_DSYNC").replace("rwf dsync", "RWF_DSYNC");
                    double rate = res.commits / (res.nanos / 1e9);
                    r.row(label, size + " B", rate, res.latency.percentile(50) / 1e3, res.latency.percentile(99) / 1e3,
                            res.commits == 0 ? 0.0 : (double) res.syncs / res.commits);
                    series.computeIfAbsent(label, k -> new ArrayList<>()).add(new double[] {size, rate});
                    raw.add(Map.of("mode", label, "record_bytes", size, "commits", res.commits, "bytes", res.bytes,
                            "nanos", res.nanos, "syncs", res.syncs, "p50_ns", res.latency.percentile(50),
                            "p99_ns", res.latency.percentile(99)));
                }
            }
        } finally {
            Files.deleteIfExists(log);
        }
        double best = r.rows().stream().filter(row -> !String.valueOf(row.get(0)).startsWith("group"))
                .mapToDouble(row -> (double) row.get(2)).max().orElse(0);
        double group = r.rows().stream().filter(row -> String.valueOf(row.get(0)).startsWith("group"))
                .mapToDouble(row -> (double) row.get(2)).max().orElse(0);
        r.finding(String.format(Locale.ROOT, "One durable append at a time tops out at %.0f commits/s here: every commit"
                + " waits for the device's flush.", best));
        r.finding(String.format(Locale.ROOT, "Group commit with %d writers reaches %.0f commits/s (%.1fx): one flush"
                + " makes many appends durable at once, the way databases batch their WAL.", writers, group,
                best == 0 ? 0 : group / best));
        r.finding("fdatasync and O_DSYNC skip the metadata fsync writes (timestamps) when the file size does not "
                + "change; appends that grow the file still pay for the size update.");
        r.chart(new LabResult.Chart("commits", "Durable commits per second by record size", "record (bytes)",
                "commits/s", true, series));
        r.raw("results", raw);
        return r;
    }

    private record Result(long commits, long bytes, long syncs, long nanos, LatencyStats latency) {
    }

    private static Result single(Path log, Mode m, int size, long durationNs) throws IOException {
        EnumSet<OpenFlag> flags = EnumSet.of(OpenFlag.RDWR, OpenFlag.CREAT);
        if (m == Mode.O_DSYNC) {
            flags.add(OpenFlag.DSYNC);
        }
        LatencyStats lat = new LatencyStats();
        long commits = 0;
        long syncs = 0;
        long offset = 0;
        try (NativeFile f = NativeFile.open(log, flags, NativeFile.DEFAULT_MODE); Arena arena = Arena.ofConfined()) {
            MemorySegment rec = AlignedMemory.allocate(arena, size, 4096).fill((byte) 'w');
            MemorySegment iov = arena.allocate(Iovec.SIZE, 8);
            Iovec.set(iov, 0, rec, size);
            long start = System.nanoTime();
            long end = start + durationNs;
            while (System.nanoTime() < end) {
                long t0 = System.nanoTime();
                if (m == Mode.RWF_DSYNC) {
                    long w = Libc.pwritev2(f.fd(), iov, 1, offset, LinuxConstants.RWF_DSYNC);
                    if (w < 0) {
                        throw new NativeIoException("pwritev2", (int) -w, log.toString(), f.fd(), offset, size,
                                "RWF_DSYNC needs Linux 4.7 or newer");
                    }
                } else {
                    f.writeFully(rec, offset);
                }
                if (m == Mode.FSYNC) {
                    f.fsync();
                    syncs++;
                } else if (m == Mode.FDATASYNC) {
                    f.fdatasync();
                    syncs++;
                }
                lat.record(System.nanoTime() - t0);
                offset += size;
                commits++;
            }
            return new Result(commits, commits * size, syncs, System.nanoTime() - start, lat);
        }
    }

    /** N writers append; one committer fdatasyncs whatever was appended and releases those writers. */
    private static Result groupCommit(Path log, int size, long durationNs, int writers) throws IOException {
        LatencyStats lat = new LatencyStats();
        AtomicLong next = new AtomicLong();
        Object monitor = new Object();
        long[] durable = {0};
        long[] appended = {0};
        long[] syncs = {0};
        boolean[] stop = {false};
        List<Throwable> errors = new ArrayList<>();
        try (NativeFile f = NativeFile.open(log, OpenFlag.RDWR, OpenFlag.CREAT)) {
            long start = System.nanoTime();
            long end = start + durationNs;
            Thread committer = Thread.ofPlatform().start(() -> {
                try {
                    while (true) {
                        long target;
                        synchronized (monitor) {
                            while (appended[0] == durable[0] && !stop[0]) {
                                monitor.wait();
                            }
                            if (stop[0] && appended[0] == durable[0]) {
                                return;
                            }
                            target = appended[0];
                        }
                        f.fdatasync();
                        synchronized (monitor) {
                            durable[0] = Math.max(durable[0], target);
                            syncs[0]++;
                            monitor.notifyAll();
                        }
                    }
                } catch (IOException | InterruptedException e) {
                    synchronized (monitor) {
                        errors.add(e);
                        stop[0] = true;
                        monitor.notifyAll();
                    }
                }
            });
            List<Thread> threads = new ArrayList<>();
            LatencyStats[] perThread = new LatencyStats[writers];
            long[] counts = new long[writers];
            for (int w = 0; w < writers; w++) {
                int id = w;
                perThread[w] = new LatencyStats();
                threads.add(Thread.ofPlatform().start(() -> {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment rec = AlignedMemory.allocate(arena, size, 4096).fill((byte) ('a' + id));
                        while (System.nanoTime() < end) {
                            long t0 = System.nanoTime();
                            long seq = next.getAndIncrement();
                            f.writeFully(rec, seq * size);
                            long mine;
                            synchronized (monitor) {
                                // Appends complete out of order; count this one and wait for a sync after it.
                                appended[0]++;
                                mine = appended[0];
                                monitor.notifyAll();
                                while (durable[0] < mine && !stop[0]) {
                                    monitor.wait();
                                }
                            }
                            perThread[id].record(System.nanoTime() - t0);
                            counts[id]++;
                        }
                    } catch (IOException | InterruptedException e) {
                        synchronized (monitor) {
                            errors.add(e);
                        }
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            synchronized (monitor) {
                stop[0] = true;
                monitor.notifyAll();
            }
            committer.join();
            if (!errors.isEmpty()) {
                throw new IOException("group commit failed: " + errors.getFirst().getMessage(), errors.getFirst());
            }
            long commits = 0;
            for (int w = 0; w < writers; w++) {
                lat.add(perThread[w]);
                commits += counts[w];
            }
            return new Result(commits, commits * size, syncs[0], System.nanoTime() - start, lat);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
