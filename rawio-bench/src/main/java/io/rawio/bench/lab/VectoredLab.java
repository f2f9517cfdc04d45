package io.rawio.bench.lab;

import io.rawio.bench.run.PageCache;
import io.rawio.memory.AlignedMemory;
import io.rawio.nativeio.BlockDevices;
import io.rawio.nativeio.Errno;
import io.rawio.nativeio.Iovec;
import io.rawio.nativeio.Libc;
import io.rawio.nativeio.LinuxConstants;
import io.rawio.nativeio.Mman;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.NativeIoException;
import io.rawio.nativeio.OpenFlag;
import io.rawio.nativeio.Procfs;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Vectored I/O: a group of n pieces moved by n read/write calls, by one readv/writev, or by one
 * preadv2/pwritev2, for 2..64 pieces of 512 B..64 KiB, on a file in the page cache so the system calls
 * are what is measured; then the RWF_* flags: RWF_NOWAIT on a half-cached file (cached pages returned,
 * uncached ones EAGAIN, checked against mincore), RWF_HIPRI where the device polls, RWF_DSYNC per write
 * against an O_DSYNC descriptor and against write + fdatasync.
 */
public final class VectoredLab implements Lab {
    static final int PAGE = 4096;
    static final int[] PIECES = {2, 4, 16, 64};

    @Override
    public String name() {
        return "vectored";
    }

    @Override
    public String summary() {
        return "readv/writev vs a loop of read/write vs preadv2/pwritev2, 2..64 pieces of 512 B..64 KiB: syscalls and"
                + " time per MiB; RWF_NOWAIT (EAGAIN on uncached pages), RWF_HIPRI, RWF_DSYNC vs O_DSYNC";
    }

    /** One group shape and method: what it moved, in how many calls, how long. */
    record Cell(String op, String method, int pieces, int pieceBytes, long bytes, long calls, long nanos) {
        double syscallsPerMib() {
            return calls / (bytes / 1048576.0);
        }

        double usPerMib() {
            return nanos / 1000.0 / (bytes / 1048576.0);
        }
    }

    /**
     * What RWF_NOWAIT did over every page of a file, against what mincore said just before: pages
     * returned, EAGAINs, other results; {@code cachedRefused} cached pages that did not come back,
     * {@code arrived} pages mincore saw uncached that came back all the same (an earlier EAGAIN's read,
     * or another reader, brought them in during the pass).
     */
    record NowaitCount(long pages, long cachedByMincore, long returned, long eagain, long other, long cachedRefused,
            long arrived) {
        /** Every page mincore saw cached came back, and every other page either failed with EAGAIN or arrived. */
        boolean agreesWithMincore() {
            return cachedRefused == 0 && other == 0 && returned + eagain == pages
                    && returned == cachedByMincore + arrived;
        }
    }

    @Override
    public LabResult run(LabContext ctx) throws IOException {
        boolean quick = ctx.quick();
        long fileBytes = quick ? 8L << 20 : 32L << 20;
        long budget = quick ? 16L << 20 : 128L << 20;
        int[] sizes = quick ? new int[] {512, 4096, 65536} : new int[] {512, 4096, 16384, 65536};
        Path file = ctx.workDir().resolve("rawio-lab-vectored.dat");
        List<Cell> cells = new ArrayList<>();
        List<Object[]> flagRows = new ArrayList<>();
        Map<String, Object> raw = new LinkedHashMap<>();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = AlignedMemory.allocate(a, 64L * 65536, PAGE).fill((byte) 'v');
            MemorySegment iov = a.allocate(Iovec.SIZE * 64, 8);
            fill(file, fileBytes, buf);
            // One throwaway round so the loops are compiled before anything is timed.
            for (String op : List.of("read", "write")) {
                for (String m : methods(op)) {
                    transfer(file, op, m, 4, 4096, fileBytes, Math.min(budget, 4L << 20), buf, iov);
                }
            }
            for (String op : List.of("read", "write")) {
                for (int n : PIECES) {
                    for (int size : sizes) {
                        ctx.say(String.format(Locale.ROOT, "vectored: %s %d x %d B", op, n, size));
                        for (String m : methods(op)) {
                            cells.add(transfer(file, op, m, n, size, fileBytes, budget, buf, iov));
                        }
                    }
                }
            }
            ctx.say("vectored: RWF_NOWAIT");
            nowait(file, fileBytes, buf, iov, flagRows, raw);
            ctx.say("vectored: RWF_HIPRI");
            hipri(file, fileBytes, quick ? 500 : 3000, buf, iov, flagRows, raw);
            ctx.say("vectored: RWF_DSYNC vs O_DSYNC");
            dsync(file, quick ? 100 : 1000, buf, iov, flagRows, raw);
        } finally {
            Files.deleteIfExists(file);
        }
        return report(cells, flagRows, raw, sizes);
    }

    static List<String> methods(String op) {
        return op.equals("read") ? List.of("read() x n", "readv", "preadv2") : List.of("write() x n", "writev", "pwritev2");
    }

    private static void fill(Path file, long size, MemorySegment buf) throws IOException {
        try (NativeFile f = NativeFile.open(file, OpenFlag.RDWR, OpenFlag.CREAT, OpenFlag.TRUNC)) {
            for (long off = 0; off < size; off += buf.byteSize()) {
                f.writeFully(buf.asSlice(0, Math.min(buf.byteSize(), size - off)), off);
            }
            f.fsync();
        }
    }

    /**
     * Moves at least {@code budget} bytes in groups of {@code n} pieces by one method, front to back over the
     * file (reopened at its end: read, write, readv and writev use the descriptor's offset).
     */
    static Cell transfer(Path file, String op, String method, int n, int size, long fileBytes, long budget,
            MemorySegment buf, MemorySegment iov) throws IOException {
        boolean read = op.equals("read");
        long group = (long) n * size;
        long groupsPerPass = fileBytes / group;
        long passes = Math.max(1, (budget + groupsPerPass * group - 1) / (groupsPerPass * group));
        for (int i = 0; i < n; i++) {
            Iovec.set(iov, i, buf.asSlice((long) i * size, size), size);
        }
        long calls = 0;
        long bytes = 0;
        long nanos = 0;
        for (long p = 0; p < passes; p++) {
            try (NativeFile f = NativeFile.open(file, read ? OpenFlag.RDONLY : OpenFlag.WRONLY)) {
                int fd = f.fd();
                long t0 = System.nanoTime();
                long off = 0;
                for (long g = 0; g < groupsPerPass; g++) {
                    long r;
                    switch (method) {
                        case "read() x n", "write() x n" -> {
                            r = 0;
                            for (int i = 0; i < n; i++) {
                                MemorySegment piece = buf.asSlice((long) i * size, size);
                                long k = read ? Libc.read(fd, piece, size) : Libc.write(fd, piece, size);
                                check(k, size, op, file);
                                r += k;
                            }
                            calls += n;
                        }
                        case "readv" -> {
                            r = Libc.readv(fd, iov, n);
                            calls++;
                        }
                        case "writev" -> {
                            r = Libc.writev(fd, iov, n);
                            calls++;
                        }
                        case "preadv2" -> {
                            r = Libc.preadv2(fd, iov, n, off, 0);
                            calls++;
                        }
                        case "pwritev2" -> {
                            r = Libc.pwritev2(fd, iov, n, off, 0);
                            calls++;
                        }
                        default -> throw new IllegalArgumentException("method=" + method);
                    }
                    check(r, group, method, file);
                    off += group;
                    bytes += group;
                }
                nanos += System.nanoTime() - t0;
            }
        }
        return new Cell(op, method, n, size, bytes, calls, nanos);
    }

    private static void check(long r, long expected, String what, Path file) throws IOException {
        if (r < 0) {
            throw new NativeIoException(what, (int) -r, file.toString(), -1, -1, expected, null);
        }
        if (r != expected) {
            // A regular file in the page cache moves all of a group or fails; a short one would skew the counts.
            throw new IOException(what + " was short: expected=" + expected + ", got=" + r + ", path=" + file);
        }
    }

    /**
     * Counts one RWF_NOWAIT preadv2 of each page: the bytes came back, or EAGAIN, or something else,
     * each against whether mincore saw the page cached ({@code cached}, bit per page).
     */
    static NowaitCount countNowait(int fd, long pages, BitSet cached, MemorySegment iov) {
        long returned = 0;
        long eagain = 0;
        long other = 0;
        long cachedRefused = 0;
        long arrived = 0;
        for (int p = 0; p < Math.toIntExact(pages); p++) {
            long r = Libc.preadv2(fd, iov, 1, (long) p * PAGE, LinuxConstants.RWF_NOWAIT);
            boolean wasCached = cached.get(p);
            if (r == PAGE) {
                returned++;
                arrived += wasCached ? 0 : 1;
            } else {
                cachedRefused += wasCached ? 1 : 0;
                if (r == -Errno.EAGAIN) {
                    eagain++;
                } else {
                    other++;
                }
            }
        }
        return new NowaitCount(pages, cached.cardinality(), returned, eagain, other, cachedRefused, arrived);
    }

    private static BitSet cachedPages(NativeFile f, long size) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = Mman.map(a, f, 0, size, LinuxConstants.PROT_READ, LinuxConstants.MAP_SHARED);
            return Mman.residency(m);
        }
    }

    private static void nowait(Path file, long size, MemorySegment buf, MemorySegment iov, List<Object[]> rows,
            Map<String, Object> raw) throws IOException {
        long pages = size / PAGE;
        Iovec.set(iov, 0, buf, PAGE);
        try (NativeFile f = NativeFile.open(file, OpenFlag.RDONLY)) {
            // The write cells left dirty pages, and POSIX_FADV_DONTNEED drops clean ones only.
            f.fsync();
            PageCache.drop(f);
            // FADV_RANDOM: a read brings in its own page only (no readahead), so every other page is cached.
            f.fadvise(0, 0, LinuxConstants.POSIX_FADV_RANDOM);
            for (long p = 0; p < pages; p += 2) {
                f.readFully(buf.asSlice(0, PAGE), p * PAGE);
            }
            BitSet cached = cachedPages(f, size);
            long t0 = System.nanoTime();
            NowaitCount first = countNowait(f.fd(), pages, cached, iov);
            long nanos = System.nanoTime() - t0;
            // EAGAIN does not mean nothing happened: the kernel may have started reading the page.
            sleep(200);
            BitSet cachedLater = cachedPages(f, size);
            NowaitCount second = countNowait(f.fd(), pages, cachedLater, iov);
            rows.add(new Object[] {"RWF_NOWAIT", "preadv2, every other page cached", pages + " x 4 KiB",
                    nanos / 1000.0 / pages, String.format(Locale.ROOT,
                            "%d returned (%d arrived during the pass), %d EAGAIN, %d other; mincore: %d cached (%s)",
                            first.returned(), first.arrived(), first.eagain(), first.other(), first.cachedByMincore(),
                            first.agreesWithMincore() ? "agrees" : "differs")});
            rows.add(new Object[] {"RWF_NOWAIT", "again, 200 ms later", pages + " x 4 KiB", "",
                    String.format(Locale.ROOT, "%d returned, %d EAGAIN; mincore: %d cached", second.returned(),
                            second.eagain(), second.cachedByMincore())});
            Map<String, Object> nw = new LinkedHashMap<>();
            nw.put("pages", pages);
            nw.put("cached_by_mincore", first.cachedByMincore());
            nw.put("returned", first.returned());
            nw.put("eagain", first.eagain());
            nw.put("other", first.other());
            nw.put("cached_refused", first.cachedRefused());
            nw.put("arrived", first.arrived());
            nw.put("nanos", nanos);
            nw.put("second_returned", second.returned());
            nw.put("second_eagain", second.eagain());
            nw.put("second_cached_by_mincore", second.cachedByMincore());
            raw.put("nowait", nw);
        }
    }

    private static void hipri(Path file, long size, int count, MemorySegment buf, MemorySegment iov,
            List<Object[]> rows, Map<String, Object> raw) throws IOException {
        String disk = BlockDevices.diskOf(file).orElse(null);
        String ioPoll = disk == null ? "?" : readOr(Path.of("/sys/block", disk, "queue", "io_poll"), "?");
        Iovec.set(iov, 0, buf, PAGE);
        SplittableRandom rnd = new SplittableRandom(3);
        long pages = size / PAGE;
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("disk", disk);
        h.put("io_poll", ioPoll);
        try (NativeFile f = NativeFile.open(file, OpenFlag.RDONLY, OpenFlag.DIRECT)) {
            for (int flags : new int[] {0, LinuxConstants.RWF_HIPRI}) {
                long errors = 0;
                int lastError = 0;
                long t0 = System.nanoTime();
                for (int i = 0; i < count; i++) {
                    long r = Libc.preadv2(f.fd(), iov, 1, rnd.nextLong(pages) * PAGE, flags);
                    if (r < 0) {
                        errors++;
                        lastError = (int) -r;
                    }
                }
                double us = (System.nanoTime() - t0) / 1000.0 / count;
                String name = flags == 0 ? "O_DIRECT preadv2, no flag" : "O_DIRECT preadv2, RWF_HIPRI";
                String note = "device " + disk + ", queue/io_poll=" + ioPoll
                        + (errors > 0 ? ", " + errors + " failed: " + Errno.name(lastError) : "")
                        + (flags != 0 && !ioPoll.equals("1") ? ": no polled queues, the flag is ignored" : "");
                rows.add(new Object[] {"RWF_HIPRI", name, count + " x 4 KiB random", us, note});
                h.put(flags == 0 ? "plain_us" : "hipri_us", us);
                h.put(flags == 0 ? "plain_errors" : "hipri_errors", errors);
            }
        }
        raw.put("hipri", h);
    }

    private static void dsync(Path file, int count, MemorySegment buf, MemorySegment iov, List<Object[]> rows,
            Map<String, Object> raw) throws IOException {
        Iovec.set(iov, 0, buf, PAGE);
        long span = 1L << 20;
        Map<String, Object> d = new LinkedHashMap<>();
        for (String m : List.of("pwritev2 RWF_DSYNC", "pwrite on O_DSYNC fd", "pwrite + fdatasync")) {
            try (NativeFile f = m.startsWith("pwrite on") ? NativeFile.open(file, OpenFlag.WRONLY, OpenFlag.DSYNC)
                    : NativeFile.open(file, OpenFlag.WRONLY)) {
                long t0 = System.nanoTime();
                for (int i = 0; i < count; i++) {
                    long off = (i * (long) PAGE) % span;
                    switch (m) {
                        case "pwritev2 RWF_DSYNC" -> check(Libc.pwritev2(f.fd(), iov, 1, off, LinuxConstants.RWF_DSYNC),
                                PAGE, m, file);
                        case "pwrite on O_DSYNC fd" -> f.writeFully(buf.asSlice(0, PAGE), off);
                        default -> {
                            f.writeFully(buf.asSlice(0, PAGE), off);
                            f.fdatasync();
                        }
                    }
                }
                double us = (System.nanoTime() - t0) / 1000.0 / count;
                rows.add(new Object[] {"durable write", m, count + " x 4 KiB overwrite", us,
                        m.equals("pwrite + fdatasync") ? "2 syscalls per write" : "1 syscall per write"});
                d.put(m, us);
            }
        }
        raw.put("dsync_us", d);
    }

    private static String readOr(Path p, String fallback) {
        try {
            return Procfs.read(p);
        } catch (IOException e) {
            return fallback;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private LabResult report(List<Cell> cells, List<Object[]> flagRows, Map<String, Object> raw, int[] sizes) {
        LabResult r = new LabResult(name(), "Vectored I/O: one call for n pieces, and the RWF_* flags",
                List.of("test", "method", "shape", "syscalls/MiB", "us/MiB", "us/call", "note"));
        List<Map<String, Object>> rawCells = new ArrayList<>();
        Map<String, List<double[]>> readSeries = new LinkedHashMap<>();
        Map<String, List<double[]>> writeSeries = new LinkedHashMap<>();
        for (Cell c : cells) {
            r.row(c.op(), c.method(), c.pieces() + " x " + io.rawio.bench.job.Units.formatSize(c.pieceBytes()),
                    c.syscallsPerMib(), c.usPerMib(), c.nanos() / 1000.0 / c.calls(), "");
            if (c.pieces() == 2 || c.pieces() == 64) {
                (c.op().equals("read") ? readSeries : writeSeries)
                        .computeIfAbsent(c.method() + ", " + c.pieces() + " pieces", k -> new ArrayList<>())
                        .add(new double[] {c.pieceBytes(), c.usPerMib()});
            }
            rawCells.add(Map.of("op", c.op(), "method", c.method(), "pieces", c.pieces(), "piece_bytes", c.pieceBytes(),
                    "bytes", c.bytes(), "calls", c.calls(), "nanos", c.nanos()));
        }
        for (Object[] f : flagRows) {
            r.row(f[0], f[1], f[2], "", "", f[3], f[4]);
        }
        r.raw("cells", rawCells);
        raw.forEach(r::raw);
        findings(r, cells, raw);
        r.chart(new LabResult.Chart("read", "Reads from the page cache: time per MiB", "piece size (bytes)", "us per MiB",
                true, readSeries, true));
        r.chart(new LabResult.Chart("write", "Buffered writes: time per MiB", "piece size (bytes)", "us per MiB", true,
                writeSeries, true));
        return r;
    }

    static Cell find(List<Cell> cells, String op, String method, int n, int size) {
        return cells.stream().filter(c -> c.op().equals(op) && c.method().equals(method) && c.pieces() == n
                && c.pieceBytes() == size).findFirst().orElse(null);
    }

    @SuppressWarnings("unchecked")
    private static void findings(LabResult r, List<Cell> cells, Map<String, Object> raw) {
        Cell loop = find(cells, "read", "read() x n", 64, 512);
        Cell v = find(cells, "read", "readv", 64, 512);
        Cell loopBig = find(cells, "read", "read() x n", 64, 65536);
        Cell vBig = find(cells, "read", "readv", 64, 65536);
        if (loop != null && v != null && loopBig != null && vBig != null) {
            r.finding(String.format(Locale.ROOT, "64 pieces of 512 B: a read() per piece is %.0f system calls and"
                    + " %.0f us per MiB, one readv %.0f calls and %.0f us: with small pieces the cost is the calls,"
                    + " and one call for the whole group removes %.0f%% of it. At 64 KiB pieces the loop takes %.0f and"
                    + " readv %.0f us per MiB for 16 calls against 1: the copy is most of the cost.",
                    loop.syscallsPerMib(), loop.usPerMib(), v.syscallsPerMib(), v.usPerMib(),
                    100 * (1 - v.usPerMib() / loop.usPerMib()), loopBig.usPerMib(), vBig.usPerMib()));
        }
        Cell pv = find(cells, "read", "preadv2", 64, 512);
        if (pv != null && v != null) {
            r.finding(String.format(Locale.ROOT, "preadv2 (its own offset, flags 0) costs what readv costs (%.0f vs %.0f"
                    + " us per MiB at 64 x 512 B); it is the call to use when several threads share a descriptor, and"
                    + " the only one that takes RWF_* flags per call.", pv.usPerMib(), v.usPerMib()));
        }
        Map<String, Object> nw = (Map<String, Object>) raw.get("nowait");
        if (nw != null) {
            r.finding(String.format(Locale.ROOT, "RWF_NOWAIT over %d pages of which mincore saw %d cached: %d came back"
                    + " at once (%d of them uncached a moment before) and %d failed with EAGAIN instead of waiting for"
                    + " the device; 200 ms later %d came back: an EAGAIN may still have started the read (the kernel's"
                    + " readahead runs before it gives up), so an event loop can try again later or hand the read to a"
                    + " thread.",
                    nw.get("pages"), nw.get("cached_by_mincore"), nw.get("returned"), nw.get("arrived"),
                    nw.get("eagain"), nw.get("second_returned")));
        }
        Map<String, Object> h = (Map<String, Object>) raw.get("hipri");
        if (h != null) {
            boolean polls = "1".equals(h.get("io_poll"));
            r.finding(String.format(Locale.ROOT, "RWF_HIPRI: %s has queue/io_poll=%s, %s (%.1f us with the flag vs %.1f"
                    + " without). Polled completions need a driver with poll queues (NVMe with nvme.poll_queues > 0)"
                    + " and O_DIRECT.", h.get("disk"), h.get("io_poll"), polls ? "so the completion is polled for"
                    : "so the kernel drops the flag and waits for the interrupt as usual",
                    ((Number) h.getOrDefault("hipri_us", 0.0)).doubleValue(),
                    ((Number) h.getOrDefault("plain_us", 0.0)).doubleValue()));
        }
        Map<String, Object> d = (Map<String, Object>) raw.get("dsync_us");
        if (d != null) {
            r.finding(String.format(Locale.ROOT, "A durable 4 KiB overwrite: pwritev2 with RWF_DSYNC %.0f us, pwrite on"
                    + " an O_DSYNC descriptor %.0f us, pwrite + fdatasync %.0f us. RWF_DSYNC asks for what O_DSYNC"
                    + " asks for, for one call: no second descriptor, and one system call where write + fdatasync makes"
                    + " two; the device's flush is most of each.",
                    d.get("pwritev2 RWF_DSYNC"), d.get("pwrite on O_DSYNC fd"), d.get("pwrite + fdatasync")));
        }
    }
}
